"""botocore's failures are one line and exit 3, never a traceback; an STS failure is named
sts:, not iam:; a stalled AWS says that it waits (issue 15, sections 3 and 4).

The mapping is checked by raising botocore's own exceptions inside `failures.translated`; the
commands are checked against the fault proxy and the silent listener (real HTTP, real botocore
retries), with the AWS read timeout made short through the environment.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.parsers import ResponseParserError

from bootstrap import waits
from bootstrap.aws import failures
from bootstrap.errors import EXIT_IDENTITY, BootstrapError
from sandbox.case import SandboxCase
from sandbox.fault_proxy import FaultProxy
from sandbox.silent_listener import SilentListener

URL = "https://iam.amazonaws.com/"
WHOSE = failures.Whose(None)


def translated(exc: BaseException, action: str = "ListSSHPublicKeys") -> BootstrapError:
    with pytest.raises(BootstrapError) as caught, failures.translated(WHOSE, "us-east-1", action):
        raise exc
    return caught.value


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (ReadTimeoutError(endpoint_url=URL), f"{URL} did not answer iam:ListSSHPublicKeys within"),
        (ConnectionClosedError(endpoint_url=URL), f"the connection to {URL} was closed before"),
        (ResponseParserError("Unable to parse response"), "was cut short or garbled"),
    ],
    ids=["read-timeout", "connection-closed", "truncated-answer"],
)
def test_an_answer_that_never_came_is_one_line_with_exit_3(exc: Exception, said: str) -> None:
    error = translated(exc)
    assert isinstance(error, failures.NoAnswer) and error.exit_code == EXIT_IDENTITY
    assert said in error.cause
    assert "\n" not in error.cause + error.fix


def test_an_sts_failure_is_labelled_sts_and_exits_3() -> None:
    exc = ClientError(
        {"Error": {"Code": "InternalFailure", "Message": "oops"}}, "GetCallerIdentity"
    )
    error = translated(exc, "GetCallerIdentity")
    assert error.cause.startswith("sts:GetCallerIdentity failed: InternalFailure")
    assert error.exit_code == EXIT_IDENTITY


def test_an_iam_failure_keeps_its_iam_label() -> None:
    exc = ClientError({"Error": {"Code": "ServiceFailure", "Message": "x"}}, "ListSSHPublicKeys")
    assert translated(exc).cause.startswith("iam:ListSSHPublicKeys failed: ServiceFailure")


# -- end to end -----------------------------------------------------------------------------------

SHORT_AWS = {waits.AWS_ENV: "1"}


def one_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.e2e
def test_sts_answering_500_is_named_sts(sandbox: SandboxCase, fault_proxy: FaultProxy) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject("GetCallerIdentity", "500", count=waits.AWS_ATTEMPTS)
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_IDENTITY, done.stderr
    assert "error: sts:GetCallerIdentity failed: InternalFailure" in one_error(done.stderr)


@pytest.mark.e2e
def test_a_truncated_answer_is_one_line(sandbox: SandboxCase, fault_proxy: FaultProxy) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject("ListSSHPublicKeys", "truncate")
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_IDENTITY, done.stderr
    assert "iam:ListSSHPublicKeys was cut short or garbled" in one_error(done.stderr)
    assert sandbox.iam_keys() == []


@pytest.mark.e2e
def test_a_connection_reset_every_time_is_one_line(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject("ListSSHPublicKeys", "reset", count=waits.AWS_ATTEMPTS)
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_IDENTITY, done.stderr
    assert "closed before AWS answered iam:ListSSHPublicKeys" in one_error(done.stderr)


@pytest.fixture
def silent_aws() -> Iterator[SilentListener]:
    with SilentListener() as listener:
        yield listener


@pytest.mark.e2e
def test_a_stalled_aws_is_said_while_waiting_and_fails_in_one_line(
    sandbox: SandboxCase, silent_aws: SilentListener
) -> None:
    """AWS accepts the connection and never answers: a line says what we wait for, and the
    failure is one line with exit 3, after the bounded retries."""
    repo = sandbox.ready()
    sandbox.env |= SHORT_AWS | {"AWS_ENDPOINT_URL": silent_aws.url}
    sandbox.env.pop("AWS_ENDPOINT_URL_IAM", None)
    sandbox.env.pop("AWS_ENDPOINT_URL_STS", None)
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_IDENTITY, done.stderr
    assert "waiting for AWS to answer sts:GetCallerIdentity" in done.stderr
    error = one_error(done.stderr)
    assert f"did not answer sts:GetCallerIdentity within 1 s, {waits.AWS_ATTEMPTS} times" in error
    assert silent_aws.accepted >= waits.AWS_ATTEMPTS
