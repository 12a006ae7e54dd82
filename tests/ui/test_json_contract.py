"""One JSON contract: every command's `--json`, success or failure, usage error or crash, is one
object on stdout that fits SCHEMA (README, "JSON output").

The schema is a small JSON-Schema-like dict checked by `validate` below (type, enum, required,
properties, items, anyOf), so the test needs no library. Cheap cases run `cli.main` in-process
with a temporary home; the ones that need IAM, sshd and git run against the sandbox.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ssh_home import SshHome

from bootstrap import cli
from bootstrap.results import ACTIONS
from bootstrap.ui.output import CONTRACT
from sandbox.case import SandboxCase

STEP: dict[str, Any] = {
    "type": "object",
    "required": ["step", "status", "action", "changed", "summary", "fix"],
    "properties": {
        "step": {"type": "string"},
        "status": {"enum": ["ok", "warn", "fail", "skipped"]},
        "action": {"enum": list(ACTIONS)},
        "changed": {"type": "boolean"},
        "summary": {"type": "string"},
        "fix": {"type": "string"},
    },
}
ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["cause", "fix", "exit_code"],
    "properties": {
        "cause": {"type": "string"},
        "fix": {"type": "string"},
        "exit_code": {"type": "integer"},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(CONTRACT),
    "properties": {
        "command": {"type": ["string", "null"]},
        "ok": {"type": "boolean"},
        "exit_code": {"type": "integer"},
        "error": {"anyOf": [{"type": "null"}, ERROR]},
        "dry_run": {"type": "boolean"},
        "changed": {"type": "boolean"},
        "would_change": {"type": ["boolean", "null"]},
        "steps": {"type": "array", "items": STEP},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "next": {"type": "array", "items": {"type": "string"}},
    },
}
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}
COMMANDS = ("init", "status", "rotate", "remove", "doctor", "policy", "mfa")


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where `value` breaks `schema` (empty: it fits)."""
    found: list[str] = []
    if "anyOf" in schema:
        if all(problems(value, option, where) for option in schema["anyOf"]):
            found.append(f"{where}: fits none of {schema['anyOf']}")
        return found
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        fits = any(
            (isinstance(value, int) and not isinstance(value, bool))
            if name == "integer"
            else isinstance(value, TYPES[name])
            for name in names
        )
        if not fits:
            return [f"{where}: {value!r} is not {' or '.join(names)}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        found += [f"{where}: no {key!r}" for key in schema.get("required", ()) if key not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found += problems(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{index}]")
    return found


def conforms(stdout: str, exit_code: int, command: str | None) -> dict[str, Any]:
    """The one object on stdout, checked against SCHEMA and against the exit code."""
    document = json.loads(stdout)  # the whole of stdout is one object
    assert problems(document, SCHEMA) == [], document
    assert list(document)[: len(CONTRACT)] == list(CONTRACT)  # the same keys, in one order
    assert document["command"] == command
    assert document["exit_code"] == exit_code
    assert document["ok"] is (document["error"] is None)
    assert document["ok"] is (exit_code in (0, 10)), document
    if document["error"] is not None:
        assert document["error"]["cause"] and document["next"] == []
    return document


def test_the_schema_catches_a_document_that_breaks_it() -> None:
    """The checker itself: the old shapes (doctor's `checks`, no `exit_code`) do not fit."""
    old_doctor = {"command": "doctor", "ok": True, "checks": [{"name": "x", "status": "ok"}]}
    assert "$: no 'exit_code'" in problems(old_doctor, SCHEMA)
    step = {"step": "x", "status": "fine", "action": "created", "changed": 1}
    step |= {"summary": "", "fix": ""}
    found = problems(step, STEP)
    assert any("'fine' is not one of" in p for p in found) and any("changed" in p for p in found)


# -- in-process: no AWS needed ---------------------------------------------------------------------


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, ssh_home: SshHome) -> Path:
    """A temporary home with no AWS credentials and no git config of the user's."""
    for name in [name for name in __import__("os").environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    aws = ssh_home.home / ".aws"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(ssh_home.home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(ssh_home.home)
    return ssh_home.home


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_usage_error_is_the_contracts_failure(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = main(capsys, command, "--json", "--bogus")
    assert code == 2
    document = conforms(out, 2, command)
    assert document["error"]["cause"] == "unrecognized arguments: --bogus"
    assert f"bootstrap {command} --help" in document["error"]["fix"]
    assert f"bootstrap {command}: error: unrecognized arguments: --bogus" in err


def test_a_top_level_usage_error_is_the_contracts_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = main(capsys, "--json", "nonsense")
    assert code == 2
    assert "invalid choice: 'nonsense'" in conforms(out, 2, None)["error"]["cause"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unexpected_exception_is_the_contracts_failure_with_its_traceback(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(args: Any) -> int:
        raise RuntimeError("something nobody expected")

    module = command.replace("-", "_")
    monkeypatch.setattr(f"bootstrap.commands.{module}.run", crash)
    code, out, err = main(capsys, command, "--json")
    assert code == 1
    error = conforms(out, 1, command)["error"]
    assert error["cause"] == "unexpected error (RuntimeError): something nobody expected"
    assert "Traceback" in err  # people still see where it happened


def test_ctrl_c_is_the_contracts_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("bootstrap.commands.doctor.run", interrupted)
    code, out, _ = main(capsys, "doctor", "--json")
    assert code == 130 and conforms(out, 130, "doctor")["error"]["cause"] == "Stopped by user"


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (("policy",), 0),
        (("policy", "--broad"), 0),
        (("policy", "--apply"), 2),
        (("policy", "--from", "missing.json"), 5),
        (("mfa", "--code", "12"), 2),
        (("mfa",), 2),  # no --code and --json never asks
        (("init", "--yes", "--region", "eu-west-1"), 2),  # no --repo, no terminal
        (("init", "--yes", "--region", "eu-west-1", "--repo", "r"), 3),  # no credentials
        (("status", "--region", "eu-west-1"), 3),  # no credentials: the local part still shown
        (("rotate", "--yes", "--region", "eu-west-1", "--repo", "r"), 5),  # nothing to rotate
        (("remove", "--yes", "--region", "eu-west-1", "--keep-iam-key"), 0),  # nothing there
        (("doctor", "--region", "nowhere"), 2),
    ],
)
def test_every_command_in_process(
    argv: tuple[str, ...], exit_code: int, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = main(capsys, *argv, "--json")
    assert code == exit_code, out + err
    conforms(out, exit_code, argv[0])


def test_doctor_judging_policy_files_offline(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = main(capsys, "policy", "--json")
    (home / "good.json").write_text(json.dumps(json.loads(out)["policy"]))
    code, out, _ = main(capsys, "doctor", "--policy-file", "good.json", "--json")
    assert code == 0
    assert {step["action"] for step in conforms(out, 0, "doctor")["steps"]} == {"checked"}
    (home / "bad.json").write_text("{not json")
    code, out, _ = main(capsys, "doctor", "--policy-file", "bad.json", "--json")
    assert code == 5
    document = conforms(out, 5, "doctor")
    assert document["error"]["cause"].startswith("policy file: ")
    assert document["steps"][0]["status"] == "fail"


# -- against the sandbox: IAM, sshd, git -----------------------------------------------------------


def ran(done: subprocess.CompletedProcess[str], command: str) -> dict[str, Any]:
    assert "Traceback" not in done.stderr, done.stderr
    return conforms(done.stdout, done.returncode, command)


@pytest.mark.e2e
def test_every_command_against_the_sandbox(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    first = ran(sandbox.init("--repo", repo, "--json"), "init")
    assert first["ok"] and first["changed"] and first["next"]
    check = ran(sandbox.init("--repo", repo, "--check", "--json"), "init")
    assert check["exit_code"] == 0 and check["dry_run"] and check["would_change"] is False
    assert ran(sandbox.run("status", "--region", sandbox.region, "--json"), "status")["ok"]
    doctor = ran(sandbox.run("doctor", "--region", sandbox.region, "--json"), "doctor")
    assert doctor["exit_code"] == 0
    rotated = ran(
        sandbox.run("rotate", "--yes", "--region", sandbox.region, "--repo", repo,
                    "--key-bits", "2048", "--json"),
        "rotate",
    )  # fmt: skip
    assert rotated["ok"] and rotated["next"]
    # The new key's git check ran and passed: "verified", not "unchanged".
    assert {step["step"]: step["action"] for step in rotated["steps"]}["git check"] == "verified"
    removed = ran(sandbox.run("remove", "--yes", "--region", sandbox.region, "--json"), "remove")
    assert removed["changed"]
    gone = ran(sandbox.run("status", "--region", sandbox.region, "--json"), "status")
    assert gone["exit_code"] == 8 and gone["error"]["fix"]


@pytest.mark.e2e
def test_a_failed_test_clone_is_a_failed_step(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    done = sandbox.init("--repo", "no-such-repository", "--json")
    document = ran(done, "init")
    assert document["exit_code"] == 7
    clone = document["steps"][-1]
    assert (clone["step"], clone["status"], clone["action"]) == ("test clone", "fail", "failed")
    assert clone["summary"] == document["error"]["cause"] and clone["fix"]
    # The setup steps before it did their work, and say so.
    assert {s["step"]: s["action"] for s in document["steps"]}["key"] == "created"
