"""`python -m bench`: time `bootstrap init` against the manual path and print the table.

Each round makes new developers (temporary home, IAM user, repository) and runs, in order:
(a) `bootstrap init --yes` fresh, (b) the same again, (b') again with --retest, and (c) the
manual path for another new developer. Rounds interleave, so a, b and c see the same load.
Then, with the servers stopped, the git credential helper against the AWS CLI's
(bench/git_credential.py); `--only git-credential` runs that alone and replaces its block in
--output, keeping the rest of the file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import git_credential, report, scenarios, world
from bench.aws_requests import LOG_VARIABLE, read_log
from bench.report import Samples
from bench.scenarios import Tool

COUNTER = Path(__file__).with_name("aws_requests.py")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--runs",
        type=int,
        default=int(os.environ.get("BENCH_RUNS", "7")),
        help="measured rounds (default $BENCH_RUNS or 7); medians are over these",
    )
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (1)")
    parser.add_argument(
        "--bits",
        type=int,
        default=4096,
        help="RSA key size for both the tool and ssh-keygen (default 4096, the tool's default)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="time the bootstrap package in this checkout instead of the installed one "
        "(for before/after: git worktree add /tmp/before REV; --source /tmp/before)",
    )
    parser.add_argument(
        "--helper-runs",
        type=int,
        default=int(os.environ.get("BENCH_HELPER_RUNS", "21")),
        help="interleaved runs of each credential helper (default $BENCH_HELPER_RUNS or 21)",
    )
    parser.add_argument(
        "--only",
        choices=["git-credential"],
        help="time only this scenario; with --output, replace its block in FILE and keep the rest",
    )
    parser.add_argument("--output", type=Path, help="also write the markdown to FILE")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a target (a/c, b/c, the helpers' ratio) is missed",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.helper_runs < 1:
        parser.error("--runs and --helper-runs must be at least 1")
    if args.source and not (args.source / "bootstrap" / "__init__.py").is_file():
        parser.error(f"--source {args.source} has no bootstrap/ package")
    return args


def tool_for(source: Path | None) -> Tool:
    if source is None:
        return Tool(tuple(world.bootstrap_command()))
    return Tool((sys.executable, "-m", "bootstrap"), {"PYTHONPATH": str(source.resolve())})


def repeat(label: str, runs: int, once: Callable[[], object]) -> Samples:
    samples = Samples(label)
    for _ in range(runs):
        start = time.perf_counter()
        once()
        samples.seconds.append(time.perf_counter() - start)
    return samples


def in_process_keygen(bits: int) -> Callable[[], object]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return lambda: rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssl_of_cryptography() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend

    return str(backend.openssl_version_text())


def count_requests(w: world.World, tool: Tool, bits: int, scratch: Path) -> dict[str, list[str]]:
    """One counted fresh run and re-run, without and with --user."""
    counter = Tool((sys.executable, str(COUNTER)), tool.env)
    counted: dict[str, list[str]] = {}
    for with_user in (False, True):
        dev = w.developer("counted")
        extra = ("--user", dev.case.user_name) if with_user else ()
        for label in ("fresh", "re-run"):
            log = scratch / f"{label}-{with_user}.log"
            env = dev.case.env | tool.env | {LOG_VARIABLE: str(log)}
            scenarios.run(counter.init(dev, bits, *extra), env, dev.home)
            name = f"`init`, {label}{' with --user' if with_user else ''}"
            counted[name] = [f"{service}:{op}" for service, op in read_log(str(log))]
        w.retire(dev)
    return counted


def start_up_costs(tool: Tool, aws: Path, bits: int, runs: int) -> list[Samples]:
    env = dict(os.environ) | tool.env
    here = Path.cwd()
    return [
        repeat(
            "`bootstrap --version` (start-up alone)",
            runs,
            lambda: scenarios.run([*tool.command, "--version"], env, here),
        ),
        repeat(
            "`aws --version` (start-up alone)",
            runs,
            lambda: scenarios.run([str(aws), "--version"], env, here),
        ),
        repeat(
            "`python -c 'import boto3'`",
            runs,
            lambda: scenarios.run([sys.executable, "-c", "import boto3"], env, here),
        ),
        repeat(
            f"RSA {bits} generated in-process (cryptography), as (a) does",
            runs,
            in_process_keygen(bits),
        ),
    ]


def credential_helpers(args: argparse.Namespace, tool: Tool, aws: Path) -> tuple[str, bool]:
    """The git credential helper block, and whether its target was met."""
    with tempfile.TemporaryDirectory(prefix="bench-helper-") as scratch:
        measured = report.now_utc()
        try:
            helper = git_credential.measure(tool, aws, args.helper_runs, args.warmup, Path(scratch))
        except scenarios.RunFailed as error:  # a --source checkout without the helper, say
            print(f"bench: git-credential: {error}", file=sys.stderr)
            why = str(error).splitlines()[0]
            lines = [git_credential.BEGIN, f"The git credential helper was not timed: {why}"]
            return "\n".join([*lines, git_credential.END]), False
    print(
        f"bench: git-credential: bootstrap {helper.ours.median:.3f} s, aws "
        f"{helper.aws.median:.3f} s, ratio {helper.ratio:.2f}",
        file=sys.stderr,
    )
    return git_credential.markdown(helper, measured), helper.met


def only_credential_helpers(args: argparse.Namespace, tool: Tool, aws: Path) -> int:
    block, met = credential_helpers(args, tool, aws)
    print(block)
    if args.output:
        old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        new = report.replace_block(old, block, git_credential.BEGIN, git_credential.END)
        args.output.write_text(new, encoding="utf-8")
    if args.check and not met:
        print("bench: the credential helper's target was missed", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    aws = world.aws_cli()
    tool = tool_for(args.source)
    if args.only == "git-credential":
        return only_credential_helpers(args, tool, aws)
    context = report.Context(
        runs=args.runs,
        bits=args.bits,
        versions={
            "tool": world.version_of(*tool.command, "--version", env=tool.env)
            + (f" from {args.source}" if args.source else ""),
            "aws CLI": f"{world.version_of(str(aws), '--version')} ({aws})",
            "ssh": world.version_of("ssh", "-V"),
            "git": world.version_of("git", "--version"),
            "OpenSSL of cryptography": openssl_of_cryptography(),
        },
        load_before=report.load_average(),
    )
    fresh = Samples("(a) `bootstrap init --yes`, fresh")
    rerun = Samples("(b) `bootstrap init --yes`, re-run")
    manual = Samples("(c) manual: ssh-keygen, 3 × aws, config block, git clone")
    retest = Samples("(b′) re-run with --retest (clones again)")
    steps: dict[str, Samples] = {}
    with world.started() as w, tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        print(f"bench: moto at {w.iam.endpoint}, sshd on port {w.server.port}", file=sys.stderr)
        for round_number in range(-args.warmup, args.runs):
            dev, other = w.developer("tool"), w.developer("manual")
            a = scenarios.bootstrap_init(tool, dev, args.bits)
            b = scenarios.bootstrap_init(tool, dev, args.bits)
            b_retest = scenarios.bootstrap_init(tool, dev, args.bits, "--retest")
            c_steps = scenarios.manual(aws, other, args.bits)
            c = sum(c_steps.values())
            w.retire(dev)
            w.retire(other)
            name = f"round {round_number + 1}" if round_number >= 0 else "warm-up"
            print(
                f"bench: {name}: a {a:.2f} s, b {b:.2f} s, b′ {b_retest:.2f} s, c {c:.2f} s",
                file=sys.stderr,
            )
            if round_number < 0:
                continue
            fresh.seconds.append(a)
            rerun.seconds.append(b)
            retest.seconds.append(b_retest)
            manual.seconds.append(c)
            for step, seconds in c_steps.items():
                steps.setdefault(step, Samples(f"(c) {step}")).seconds.append(seconds)
        costs = start_up_costs(tool, aws, args.bits, args.runs)
        requests = count_requests(w, tool, args.bits, Path(scratch))
    context.load_after = report.load_average()
    helper, helper_met = credential_helpers(args, tool, aws)
    text = report.markdown(
        context,
        report.Results(fresh, rerun, manual, retest, steps["git clone"]),
        list(steps.values()),
        costs,
        requests,
        helper,
    )
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    if args.check and not (report.met(fresh, rerun, manual) and helper_met):
        print("bench: a target was missed", file=sys.stderr)
        return 1
    return 0
