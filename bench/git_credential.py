"""The git credential helper as git runs it: `bootstrap git-credential get` against the AWS CLI's
`aws codecommit credential-helper get`, each a whole process, as git starts one per fetch or push.

Both get the same temporary HOME (static keys in ~/.aws/credentials, no config file, no AWS_*
variable from this machine, bytecode cached as usual) and the same request on stdin; rounds
interleave the two (and alternate which goes first) so that the machine's load hits both alike.
Medians, the ratio against the issue's target (at most 0.5), and where bootstrap's time goes:
Python's start-up (`python -c pass` with this environment's site), the imports by
`-X importtime`, and reading the files and signing, timed in-process. No server is involved:
nothing is sent, only signed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Samples, verdict
from bench.scenarios import RunFailed, Tool

HOST = "git-codecommit.us-east-1.amazonaws.com"
REQUEST = f"protocol=https\nhost={HOST}\npath=v1/repos/demo\n\n"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
CREDENTIALS = (
    f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
)
# Issue's contract: bootstrap's helper at most half the AWS CLI's, as whole processes.
TARGET = 0.5
# Never imported on the fast path (tests/test_startup.py's list).
HEAVY = ("boto3", "botocore", "paramiko", "questionary", "cryptography")
AWS_SDK = ("awscli", "botocore")
# Modules the helper itself brings in, after the command line has been parsed.
HELPER_MODULES = ("bootstrap.https", "configparser", "shlex")

# Timed in a fresh process with the same environment: reading the two files (the fast path),
# and the signature, each a median of many calls after a first one (which imports).
IN_PROCESS = """
import json, statistics, sys, time
from datetime import datetime, timezone
from bootstrap.https import credential_helper, signing

def median(call, n=300):
    call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

now = datetime.now(timezone.utc)
# A checkout from before the fast path (--source) reads them with botocore.
read = getattr(credential_helper, "from_files", None) or credential_helper.from_botocore
found = read(None)
assert found is not None, "no credentials were read"
print(json.dumps({
    "read": median(lambda: read(None)),
    "sign": median(lambda: signing.password(found.secret_key, "us-east-1", sys.argv[1],
                                            "v1/repos/demo", now)),
}))
"""


@dataclass
class Imports:
    """One `-X importtime` run, summed by part (microseconds, as it reports them)."""

    start_up: int = 0  # up to and including `site` (the venv's .pth files)
    command_line: int = 0  # bootstrap.cli, argparse, every command module cli imports
    helper: int = 0  # bootstrap.https.* and what it pulls in (configparser, hashlib, ...)
    heavy: list[str] = field(default_factory=list)
    ours_by_module: dict[str, int] = field(default_factory=dict)  # top-level, after site
    site_largest: tuple[str, int] = ("", 0)  # what site imported that took longest

    def largest(self, count: int = 3) -> list[tuple[str, int]]:
        return sorted(self.ours_by_module.items(), key=lambda item: -item[1])[:count]

    @property
    def ours(self) -> int:
        return self.command_line + self.helper


@dataclass
class HelperResults:
    ours: Samples
    aws: Samples
    python: Samples  # `python -c pass`: the interpreter and this environment's site
    imports: Imports  # medians over the -X importtime runs
    read_s: float
    sign_s: float
    runs: int
    load: str
    aws_imports: Imports | None = None  # None: the aws CLI is not a Python script

    @property
    def ratio(self) -> float:
        return self.ours.median / self.aws.median

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET


def environment(root: Path, tool: Tool) -> tuple[dict[str, str], Path]:
    """A HOME with static keys in ~/.aws/credentials; no AWS_* variable from this machine."""
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(CREDENTIALS, encoding="utf-8")
    # Bytecode is cached as on a developer's machine (the aws CLI's was, by pip): the warm-up
    # round writes it for a source file changed since, instead of every run compiling it again.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    return env | tool.env | {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"}, home


def fed(command: Sequence[str], env: dict[str, str], cwd: Path, stdin: str = REQUEST) -> str:
    done = subprocess.run(
        list(command),
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RunFailed(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def timed_once(command: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    fed(command, env, cwd)
    return time.perf_counter() - start


def check_same_answer(ours: str, theirs: str) -> None:
    """Both helpers answer the same request with the same username and a password of the
    same shape (its time may differ by the second between the two runs)."""

    def fields(text: str) -> dict[str, str]:
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    a, b = fields(ours), fields(theirs)
    if a.get("username") != ACCESS_KEY or b.get("username") != ACCESS_KEY:
        raise RunFailed(f"the helpers did not both answer as {ACCESS_KEY}:\n{ours}\n{theirs}")
    if len(a.get("password", "")) != len(b.get("password", "")) or "password" not in a:
        raise RunFailed(f"the helpers' passwords differ in shape:\n{ours}\n{theirs}")


def importtime_command(tool: Tool) -> list[str]:
    """The tool's command under `python -X importtime`: the console script is a Python file,
    run by this interpreter as its shebang would."""
    command = list(tool.command)
    if command[0] == sys.executable:
        return [command[0], "-X", "importtime", *command[1:]]
    return [sys.executable, "-X", "importtime", *command]


def parse_importtime(stderr: str) -> Imports:
    """Sum `-X importtime`'s top-level lines (depth 0: cumulative covers the rest) by part,
    in the order Python reports them: start-up up to `site`, then ours."""
    parts = Imports()
    after_site = False
    children: list[tuple[int, str]] = []  # depth 1, since the last top-level line
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, label = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header
        name = label.strip()
        if name.split(".")[0] in HEAVY:
            parts.heavy.append(name)
        micros = int(cumulative)
        depth = (len(label) - len(label.lstrip()) - 1) // 2
        if depth == 1:
            children.append((micros, name))
        if depth:  # nested: counted in its parent's cumulative
            continue
        if not after_site:
            parts.start_up += micros
            if name == "site":
                after_site = True
                parts.site_largest = max(children, default=(0, ""))[::-1]
            children = []
            continue
        parts.ours_by_module[name] = micros
        if name.startswith(HELPER_MODULES):
            parts.helper += micros
        else:
            parts.command_line += micros
    return parts


def median_imports(runs: list[Imports]) -> Imports:
    names = {name for r in runs for name in r.ours_by_module}
    return Imports(
        start_up=int(statistics.median(r.start_up for r in runs)),
        command_line=int(statistics.median(r.command_line for r in runs)),
        helper=int(statistics.median(r.helper for r in runs)),
        heavy=sorted({name for r in runs for name in r.heavy}),
        site_largest=(
            runs[0].site_largest[0],
            int(statistics.median(r.site_largest[1] for r in runs)),
        ),
        ours_by_module={
            name: int(statistics.median(r.ours_by_module.get(name, 0) for r in runs))
            for name in names
        },
    )


def measure(tool: Tool, aws: Path, runs: int, warmup: int, scratch: Path) -> HelperResults:
    from bench.report import load_average

    env, home = environment(scratch, tool)
    ours_command = [*tool.command, "git-credential", "get"]
    aws_command = [str(aws), "codecommit", "credential-helper", "get"]
    python_command = [sys.executable, "-c", "pass"]
    check_same_answer(fed(ours_command, env, home), fed(aws_command, env, home))
    load = load_average()
    ours = Samples("`bootstrap git-credential get`")
    theirs = Samples("`aws codecommit credential-helper get`")
    python = Samples("`python -c pass` (interpreter and this environment's site)")
    for number in range(-warmup, runs):
        order = [(ours, ours_command), (theirs, aws_command), (python, python_command)]
        if number % 2:
            order.reverse()
        for samples, command in order:
            seconds = timed_once(command, env, home)
            if number >= 0:
                samples.seconds.append(seconds)
    traced = [*importtime_command(tool), "git-credential", "get"]
    imports = median_imports([parse_importtime(_stderr_of(traced, env)) for _ in range(5)])
    aws_imports = None
    if is_python_script(aws):
        aws_traced = [sys.executable, "-X", "importtime", *aws_command]
        aws_imports = median_imports(
            [parse_importtime(_stderr_of(aws_traced, env)) for _ in range(3)]
        )
    in_process = json.loads(fed([sys.executable, "-c", IN_PROCESS, HOST], env, home, ""))
    return HelperResults(
        ours,
        theirs,
        python,
        imports,
        in_process["read"],
        in_process["sign"],
        runs,
        f"{load} before, {load_average()} after",
        aws_imports,
    )


def is_python_script(path: Path) -> bool:
    """awscli v1's `aws` is; AWS CLI v2's is a frozen binary, which -X importtime cannot see."""
    try:
        with open(path, "rb") as script:
            first = script.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _stderr_of(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        command, input=REQUEST, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise RunFailed(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stderr


BEGIN, END = "<!-- bench: git-credential -->", "<!-- /bench: git-credential -->"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def where_the_time_goes(r: HelperResults) -> str:
    """One paragraph: wall-clock medians for the whole and for Python's start-up, -X importtime
    for the imports (its own figures, which its bookkeeping inflates a little), in-process
    medians for reading the files and signing, and what is left."""
    i = r.imports
    largest = ", ".join(f"`{name}` {_ms(micros / 1e6)}" for name, micros in i.largest())
    rest = r.ours.median - r.python.median - i.ours / 1e6
    site_name, site_micros = i.site_largest
    heavy = (
        f"imported, unexpectedly: {', '.join(i.heavy)}"
        if i.heavy
        else f"none of {', '.join(HEAVY)} is imported"
    )
    leftover = (
        f"the remaining {_ms(rest)} is running it all (building the parser of every command, "
        "parsing, exiting)"
        if rest > 0
        else "nothing is left over once -X importtime's own overhead is counted"
    )
    return (
        f"Where bootstrap's {_ms(r.ours.median)} go: {_ms(r.python.median)} starting Python "
        f"(`python -c pass`: the interpreter and this environment's site, whose imports "
        f"-X importtime puts at {_ms(i.start_up / 1e6)}, `{site_name}` "
        f"{_ms(site_micros / 1e6)} of them); {_ms(i.ours / 1e6)} of imports after that by "
        f"-X importtime ({_ms(i.command_line / 1e6)} the command line: argparse, "
        f"`bootstrap.cli` and the module of every command it registers; "
        f"{_ms(i.helper / 1e6)} the helper: `bootstrap.https` with the signing's hashlib, hmac "
        f"and datetime, configparser; the largest {largest}); reading the two files "
        f"{r.read_s * 1000:.2f} ms and signing {r.sign_s * 1000:.2f} ms (in-process, after a "
        f"first call); {leftover}. On this path {heavy}.{aws_imports_sentence(r)}"
    )


def aws_imports_sentence(r: HelperResults) -> str:
    if r.aws_imports is None:
        return ""
    by_module = r.aws_imports.ours_by_module
    sdk = sum(us for name, us in by_module.items() if name.split(".")[0] in AWS_SDK)
    return (
        f" The aws CLI's {_ms(r.aws.median)}: the same start-up, then "
        f"{_ms(sum(by_module.values()) / 1e6)} of imports by -X importtime, "
        f"{_ms(sdk / 1e6)} of them awscli and botocore."
    )


def markdown(r: HelperResults, measured: str) -> str:
    """The block `python -m bench` puts in the results, between BEGIN and END."""
    a = r.aws.median
    return "\n".join(
        [
            BEGIN,
            "The git credential helper as git runs it, one process per request: "
            "`bootstrap git-credential get` against `aws codecommit credential-helper get`, "
            "the same temporary HOME (static keys in `~/.aws/credentials`) and the same "
            f"request on stdin; {r.runs} interleaved runs each after a warm-up, measured "
            f"{measured}, load average {r.load}.",
            "",
            "| run | median s | min s | max s | ÷ aws |",
            "|---|---|---|---|---|",
            r.ours.row(a),
            r.aws.row(a),
            r.python.row(a),
            "",
            f"- bootstrap/aws = {verdict(r.ratio, TARGET)}",
            "",
            where_the_time_goes(r),
            END,
        ]
    )
