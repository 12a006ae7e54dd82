"""`bootstrap policy --policy-arn ARN [--apply]` against moto's IAM (a real HTTP server)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer
from test_policy_fixtures import BROAD_FIX, FIELD_REPORT, run
from wizard_fakes import Confirming

from bootstrap.aws.iam import Aws
from bootstrap.errors import EXIT_IAM, EXIT_INTERRUPTED, EXIT_LOCAL, EXIT_USAGE, IamError
from bootstrap.policy import mfa_policy
from bootstrap.ui import prompts


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()


@pytest.fixture
def iam(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return boto3.client("iam", region_name="us-east-1")


def create(iam: Any, document: dict[str, Any], versions: int = 1) -> str:
    arn: str = iam.create_policy(PolicyName="RequireMFA", PolicyDocument=json.dumps(document))[
        "Policy"
    ]["Arn"]
    for _ in range(versions - 1):
        iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True
        )
    return arn


def default_document(iam: Any, arn: str) -> tuple[str, dict[str, Any]]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    return version, document["Document"]


def version_ids(iam: Any, arn: str) -> list[str]:
    return sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"])


def test_apply_creates_a_new_default_version(iam: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arn = create(iam, FIELD_REPORT)
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn)
    assert code == 0
    assert default_document(iam, arn) == ("v2", mfa_policy.recommended())
    assert '+        "codecommit:GitPull",' in out  # the change is shown
    assert f"{arn} default version is now v2, was v1" in out


def test_applying_again_changes_nothing(iam: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arn = create(iam, FIELD_REPORT)
    run(capsys, "--apply", "--policy-arn", arn)
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn)
    assert code == 0 and "unchanged" in out
    assert version_ids(iam, arn) == ["v1", "v2"]


def test_dry_run_shows_the_diff_and_changes_nothing(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(iam, FIELD_REPORT)
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn, "--dry-run")
    assert code == 0 and out.startswith(f"--- {arn} (v1)\n")
    assert "would be updated" in out
    assert version_ids(iam, arn) == ["v1"]


def test_policy_arn_without_apply_only_reads(iam: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arn = create(iam, FIELD_REPORT)
    code, out, _ = run(capsys, "--policy-arn", arn)
    assert code == 0 and json.loads(out) == mfa_policy.recommended()
    assert version_ids(iam, arn) == ["v1"]


def test_json_reports_arn_version_and_change(iam: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arn = create(iam, FIELD_REPORT)
    code, out, err = run(capsys, "--apply", "--policy-arn", arn, "--json")
    result = json.loads(out)
    assert code == 0 and err == ""
    assert result["ok"] and result["changed"] and result["arn"] == arn
    assert result["version_id"] == "v2" and result["previous_version_id"] == "v1"
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn, "--json")
    assert json.loads(out)["changed"] is False and json.loads(out)["version_id"] is None


def test_broad_policy_is_left_as_it_is_with_a_note(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(iam, BROAD_FIX)
    code, out, err = run(capsys, "--apply", "--policy-arn", arn)
    assert code == 0 and "unchanged" in out and "any AWS service" in err
    assert version_ids(iam, arn) == ["v1"]


def test_five_versions_without_a_terminal_needs_yes(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(iam, FIELD_REPORT, versions=5)
    code, _, err = run(capsys, "--apply", "--policy-arn", arn)
    assert code == EXIT_USAGE and "--yes" in err and "v1" in err
    assert version_ids(iam, arn) == ["v1", "v2", "v3", "v4", "v5"]


def test_five_versions_with_yes_deletes_the_oldest_non_default(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(iam, FIELD_REPORT, versions=5)
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn, "--yes")
    assert code == 0 and "deleted version v1 to make room" in out
    assert version_ids(iam, arn) == ["v2", "v3", "v4", "v5", "v6"]
    assert default_document(iam, arn) == ("v6", mfa_policy.recommended())


def test_the_version_in_force_is_never_the_one_deleted(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(iam, FIELD_REPORT, versions=5)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")  # the oldest is in force
    code, out, _ = run(capsys, "--apply", "--policy-arn", arn, "--yes")
    assert code == 0 and "deleted version v2 to make room" in out
    assert version_ids(iam, arn) == ["v1", "v3", "v4", "v5", "v6"]
    assert default_document(iam, arn) == ("v6", mfa_policy.recommended())


@pytest.mark.parametrize("answer", [True, False])
def test_five_versions_asks_before_deleting(
    answer: bool, iam: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Confirming(answer)
    monkeypatch.setattr(prompts, "for_run", lambda assume_yes: terminal)
    arn = create(iam, FIELD_REPORT, versions=5)
    code, _, _ = run(capsys, "--apply", "--policy-arn", arn)
    assert len(terminal.asked) == 1 and "v1" in terminal.asked[0]
    if answer:
        assert code == 0 and version_ids(iam, arn) == ["v2", "v3", "v4", "v5", "v6"]
    else:
        assert code == EXIT_INTERRUPTED and version_ids(iam, arn) == ["v1", "v2", "v3", "v4", "v5"]


def test_unknown_policy_is_named(iam: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:iam::123456789012:policy/Nope"
    code, _, err = run(capsys, "--apply", "--policy-arn", arn)
    assert code == EXIT_IAM and f"IAM has no policy {arn}" in err


def test_policy_without_mfa_deny_is_refused_before_any_change(
    iam: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = create(
        iam,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    )
    code, _, err = run(capsys, "--apply", "--policy-arn", arn)
    assert code == EXIT_LOCAL and "no deny-unless-MFA statement" in err
    assert version_ids(iam, arn) == ["v1"]


def test_access_denied_names_the_policy_and_the_permissions(
    stubbed: tuple[Aws, Stubber],
) -> None:
    aws, stub = stubbed
    arn = "arn:aws:iam::123456789012:policy/RequireMFA"
    stub.add_client_error("get_policy", "AccessDenied", "not authorized", 403)
    with pytest.raises(IamError) as caught:
        aws.get_policy(arn)
    assert arn in caught.value.cause and "iam:GetPolicy" in caught.value.cause
    assert "CreatePolicyVersion" in caught.value.fix
