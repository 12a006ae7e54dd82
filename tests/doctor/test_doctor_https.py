"""`bootstrap doctor` over HTTPS without the sandbox: the helpers git asks and in what order (the
real git, on a temporary home), the proxy git would take, and the proxy's answers (a local
socket that answers as a proxy would)."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.aws import endpoints
from bootstrap.doctor import checkup, credential_order, https_checks, https_reach, proxy
from bootstrap.doctor.checks import FAIL, OK, WARN
from bootstrap.errors import EXIT_GIT, EXIT_LOCAL, LocalFileError
from bootstrap.ssh import managed_block

HOST = "git-codecommit.us-east-1.amazonaws.com"
URL = f"https://{HOST}"
WILDCARD = "https://git-codecommit.*.amazonaws.com"
PYTHON = shlex.quote(sys.executable)
OURS = f"!{PYTHON} -m bootstrap git-credential --profile dev"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """git's global config in a temporary home; no system config."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME", "GIT_CONFIG_PARAMETERS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def git_config(*args: str, file: Path | None = None) -> None:
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
    where = ["--file", str(file)] if file else ["--global"]
    subprocess.run(["git", "config", *where, *args], check=True, capture_output=True)


def write_ours(url: str = WILDCARD, *, reset: bool = True, helper: str = OURS) -> None:
    if reset:
        git_config("--add", f"credential.{url}.helper", "")
    git_config("--add", f"credential.{url}.helper", helper)
    git_config("--add", f"credential.{url}.useHttpPath", "true")


def facts(profile: str | None = "dev") -> https_checks.HttpsFacts:
    return https_checks.HttpsFacts(endpoints.resolve("us-east-1"), profile, None)


# -- which helpers git asks ---------------------------------------------------------------------


def test_our_empty_helper_clears_those_read_before_it(home: Path) -> None:
    git_config("credential.helper", "osxkeychain", file=home / ".config" / "git" / "config")
    git_config("--add", "credential.helper", "store")
    write_ours()
    asked = credential_order.helpers(credential_order.applying(URL))
    assert [entry.value for entry in asked] == [OURS]


def test_without_the_empty_helper_git_asks_the_earlier_ones_first(home: Path) -> None:
    git_config("credential.helper", "osxkeychain", file=home / ".config" / "git" / "config")
    write_ours(reset=False)
    asked = credential_order.helpers(credential_order.applying(URL))
    assert [entry.value for entry in asked] == ["osxkeychain", OURS]
    assert asked[0].line == "`helper = osxkeychain` ([credential] in ~/.config/git/config)"


def test_urls_are_matched_by_git_wildcards_and_paths_included(home: Path) -> None:
    write_ours()
    git_config("credential.https://github.com.helper", "store")
    git_config(f"credential.{URL}/v1/repos/other.helper", "cache")
    git_config(f"credential.{URL}/v1/repos/mine.helper", "manager")
    asked = credential_order.helpers(credential_order.applying(f"{URL}/v1/repos/mine"))
    assert [entry.value for entry in asked] == [OURS, "manager"]
    assert credential_order.applying("https://git-codecommit.us-east-1.amazonaws.com.cn") == []


def test_use_http_path_is_the_last_one_git_applies(home: Path) -> None:
    write_ours()
    assert credential_order.use_http_path(credential_order.applying(URL)) is True
    git_config("credential.useHttpPath", "false")
    assert credential_order.use_http_path(credential_order.applying(URL)) is False


# -- the git config check -------------------------------------------------------------------------


def test_the_git_config_check_names_the_profile_the_helper_signs_with(home: Path) -> None:
    write_ours()
    found = facts()
    check = https_checks.git_settings(found)
    assert check.status == OK, check
    assert f"→ `{PYTHON} -m bootstrap git-credential`, signing with profile 'dev'" in check.detail
    assert found.helper_found and found.signs_with == "dev"


def test_a_helper_before_ours_warns_of_the_stale_password_and_the_403(home: Path) -> None:
    git_config("credential.helper", "osxkeychain", file=home / ".config" / "git" / "config")
    write_ours(reset=False)
    check = https_checks.git_settings(facts())
    assert check.status == WARN
    assert "git asks `helper = osxkeychain`" in check.detail
    assert "before bootstrap's helper" in check.detail
    assert "about 15 minutes" in check.detail and "403" in check.detail
    assert check.fix.startswith("run `bootstrap init --protocol https`: it writes the empty")


def test_checking_another_profile_than_the_helper_signs_with_warns(home: Path) -> None:
    write_ours()
    check = https_checks.git_settings(facts("other"))
    assert check.status == WARN
    assert "the helper signs with profile 'dev', not 'other'" in check.detail
    assert "`bootstrap doctor --profile dev`" in check.fix


def test_a_helper_program_that_is_gone_fails(home: Path) -> None:
    write_ours(helper="!/nowhere/bootstrap git-credential")
    check = https_checks.git_settings(facts(None))
    assert check.status == FAIL and check.exit_code == EXIT_LOCAL
    assert "`/nowhere/bootstrap` is not found" in check.detail


def test_sections_git_does_not_use_for_the_host_fail(home: Path) -> None:
    write_ours(url="https://git-codecommit.eu-west-1.amazonaws.com")
    check = https_checks.git_settings(facts())
    assert check.status == FAIL
    assert f"git does not ask its helper for {HOST} (git asks: none)" in check.detail


def test_no_use_http_path_fails(home: Path) -> None:
    write_ours()
    git_config(f"credential.{URL}.useHttpPath", "false")
    check = https_checks.git_settings(facts())
    assert check.status == FAIL and "useHttpPath" in check.detail


# -- which protocol -------------------------------------------------------------------------------


def test_https_is_chosen_when_our_sections_are_there_and_no_ssh_block(home: Path) -> None:
    ssh_config = home / ".ssh" / "config"
    assert checkup.choose_protocol(ssh_config) == endpoints.SSH  # nothing set up
    write_ours()
    assert checkup.choose_protocol(ssh_config) == endpoints.HTTPS
    assert checkup.https_profile(None) == "dev" and checkup.https_profile("x") == "x"
    ssh_config.parent.mkdir()
    ssh_config.write_text(
        f"{managed_block.BEGIN}\nHost git-codecommit.*.amazonaws.com\n    User APKAEXAMPLE\n"
        f"{managed_block.END}\n"
    )
    assert checkup.choose_protocol(ssh_config) == endpoints.SSH


def test_the_document_says_which_protocol() -> None:
    document = checkup.document([], endpoints.HTTPS)
    assert (document["command"], document["protocol"]) == ("doctor", "https")
    assert document["ok"] is True and document["steps"] == [] and document["exit_code"] == 0


# -- the proxy git would take ---------------------------------------------------------------------


def no_http_proxy(args: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.CompletedProcess([], 1, b"", b"")


def http_proxy(value: str) -> proxy.git_config.Runner:
    return lambda args: subprocess.CompletedProcess([], 0, f"{value}\n".encode(), b"")


def test_the_lower_case_variable_wins_then_all_proxy() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "ALL_PROXY": "x:3"}
    found = proxy.route(URL, HOST, no_http_proxy, env).proxy
    assert found is not None and found.named == "the proxy http://lower:2 (https_proxy)"
    found = proxy.route(URL, HOST, no_http_proxy, {"ALL_PROXY": "corp:3128"}).proxy
    assert found is not None and found.named == "the proxy http://corp:3128 (ALL_PROXY)"


def test_git_config_http_proxy_wins_over_the_environment() -> None:
    found = proxy.route(URL, HOST, http_proxy("corp:8080"), {"HTTPS_PROXY": "http://env:1"})
    assert found.proxy is not None
    assert found.proxy.named == "the proxy http://corp:8080 (`git config http.proxy`)"
    empty = proxy.route(URL, HOST, http_proxy(""), {"HTTPS_PROXY": "http://env:1"})
    assert empty.proxy is None and "turns proxying off" in empty.why


def test_no_proxy_and_no_setting_go_directly() -> None:
    assert "no proxy is set" in proxy.route(URL, HOST, no_http_proxy, {}).why
    for listed in ("*", ".amazonaws.com", "example.com, amazonaws.com"):
        env = {"HTTPS_PROXY": "http://corp:1", "NO_PROXY": listed}
        found = proxy.route(URL, HOST, no_http_proxy, env)
        assert found.proxy is None and "NO_PROXY lists it" in found.why
    env = {"HTTPS_PROXY": "http://corp:1", "NO_PROXY": "github.com"}
    assert proxy.route(URL, HOST, no_http_proxy, env).proxy is not None


def test_a_proxy_url_is_read_as_curl_reads_it_and_shown_without_its_password() -> None:
    bare = proxy.parse("corp.example", "HTTPS_PROXY")
    assert (bare.scheme, bare.host, bare.port) == ("http", "corp.example", 1080)
    secret = proxy.parse("http://me:p%40ss@corp:3128", "HTTPS_PROXY")
    assert secret.shown == "http://corp:3128" and secret.password == "p@ss"
    with pytest.raises(LocalFileError, match="HTTPS_PROXY"):
        proxy.parse("ftp://corp:21", "HTTPS_PROXY")


@pytest.fixture
def answering() -> Iterator[tuple[proxy.Proxy, list[bytes]]]:
    """A one-shot local 'proxy' that answers CONNECT with the bytes put in the list (none:
    it closes without a word); the request it got is appended to the list."""
    server = socket.create_server(("127.0.0.1", 0))
    reply: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            answer = reply[0] if reply else b""
            reply.append(data)
            conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    yield proxy.Proxy("HTTPS_PROXY", "http", "127.0.0.1", port, "me", "pw"), reply
    server.close()
    thread.join(timeout=5)


def test_a_proxy_asking_for_authentication_fails_naming_it(
    answering: tuple[proxy.Proxy, list[bytes]],
) -> None:
    via, reply = answering
    reply.append(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
    check = https_reach._through(facts(), via)
    assert check.status == FAIL and check.exit_code == EXIT_GIT
    assert f"the proxy http://127.0.0.1:{via.port} (HTTPS_PROXY) asks for authentication" in (
        check.detail
    )
    assert "check the user and password in HTTPS_PROXY" in check.fix
    request = reply[1].decode()
    assert request.startswith(f"CONNECT {HOST}:443 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic bWU6cHc=" in request  # me:pw
    assert "pw" not in check.detail + check.fix


def test_a_proxy_that_says_nothing_fails(answering: tuple[proxy.Proxy, list[bytes]]) -> None:
    via, _ = answering
    check = https_reach._through(facts(), via)
    assert check.status == FAIL
    assert "did not answer CONNECT with an HTTP status" in check.detail
