"""`bootstrap policy` without AWS: printing, --from, --diff, errors, and no boto3 for --help."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_policy_fixtures import BROAD_FIX, FIELD_REPORT, run

from bootstrap import cli
from bootstrap.errors import EXIT_LOCAL, EXIT_USAGE
from bootstrap.policy import mfa_policy


def write(tmp_path: Path, document: Any, name: str = "policy.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=4))
    return path


def test_no_arguments_prints_the_recommended_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0
    assert json.loads(out) == mfa_policy.recommended()
    assert out == mfa_policy.render(mfa_policy.recommended())
    assert "codecommit:GitPull" in err and "still needs MFA" in err


def test_broad_prints_the_report_fix_and_says_what_it_opens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--broad")
    assert code == 0 and json.loads(out) == BROAD_FIX
    assert "DeleteRepository" in err and "any AWS service" in err


def test_from_file_prints_only_the_patched_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--from", str(write(tmp_path, FIELD_REPORT)))
    assert code == 0
    assert json.loads(out) == mfa_policy.recommended()
    assert "codecommit:GitPull" in err  # what was done goes to stderr


def test_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(FIELD_REPORT)))
    code, out, _ = run(capsys, "--from", "-")
    assert code == 0 and json.loads(out) == mfa_policy.recommended()


def test_diff_shows_the_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, FIELD_REPORT)
    code, out, _ = run(capsys, "--from", str(path), "--diff")
    assert code == 0
    assert out.startswith(f"--- {path}\n+++ {path} (patched)\n")
    added = [line for line in out.splitlines() if line.startswith("+ ")]
    assert [line[1:].strip() for line in added] == [
        '"iam:ResyncMFADevice",',
        '"codecommit:GitPull",',
        '"codecommit:GitPush"',
        "},",
        '"StringNotLikeIfExists": {',
        '"kms:ViaService": "codecommit.*.amazonaws.com"',
    ]


def test_already_patched_policy_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, mfa_policy.recommended())
    code, out, err = run(capsys, "--from", str(path), "--diff")
    assert code == 0 and out == "" and "nothing to change" in err
    code, out, _ = run(capsys, "--from", str(path))
    assert json.loads(out) == mfa_policy.recommended()


def test_json_output_is_one_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--from", str(write(tmp_path, FIELD_REPORT)), "--json", "--diff")
    document = json.loads(out)
    assert code == 0 and err == ""
    # Patched, but only printed: nothing in IAM or on disk changed.
    assert document["ok"] and document["patched"] and document["changed"] is False
    assert document["policy"] == mfa_policy.recommended()
    assert document["diff"].startswith("---")


def test_malformed_json_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '{\n  "Statement": [\n    {"Effect": "Deny",}\n  ]\n}\n')
    code, out, err = run(capsys, "--from", str(path))
    assert code == EXIT_LOCAL and out == ""
    assert f"error: {path} is not valid JSON" in err and "line 3, column 23" in err
    assert "  fix: " in err


def test_policy_without_mfa_deny_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    code, out, err = run(capsys, "--from", str(path))
    assert code == EXIT_LOCAL and out == ""
    assert "no deny-unless-MFA statement" in err


def test_json_errors_are_one_object_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--from", str(tmp_path / "missing.json"), "--json")
    document = json.loads(out)
    assert code == EXIT_LOCAL and not document["ok"]
    assert "cannot read the policy file" in document["error"]["cause"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--apply"], "--apply needs --policy-arn"),
        (["--diff"], "--diff compares"),
        (["--policy-arn", "arn:aws:s3:::bucket"], "is not an IAM policy ARN"),
        (
            ["--apply", "--policy-arn", "arn:aws:iam::aws:policy/AWSCodeCommitPowerUser"],
            "AWS managed policy",
        ),
    ],
)
def test_flag_mistakes_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE and out == "" and message in err


def test_policy_takes_no_user_flag() -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["policy", "--user", "alice"])
    assert caught.value.code == EXIT_USAGE


def test_broad_and_from_do_not_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["policy", "--broad", "--from", "x.json"])
    assert caught.value.code == EXIT_USAGE


def test_help_and_from_do_not_import_boto3(tmp_path: Path) -> None:
    path = write(tmp_path, FIELD_REPORT)
    script = (
        "import sys, contextlib, io\n"
        "from bootstrap import cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['policy', '--help'])\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert cli.main(['policy', '--from', {str(path)!r}]) == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
