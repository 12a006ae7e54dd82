"""`bootstrap doctor`'s `port 443` check over HTTPS: the way git would go, through its proxy
(an HTTP CONNECT that names the host) or directly (TCP), and what stands in the way."""

from __future__ import annotations

import socket

from bootstrap.diagnosis import rules
from bootstrap.doctor import proxy
from bootstrap.doctor.checks import FAIL, OK, Check, failed
from bootstrap.doctor.https_checks import HttpsFacts
from bootstrap.errors import EXIT_GIT, BootstrapError
from bootstrap.https import git_config


def _reason(error: OSError) -> str:
    if isinstance(error, TimeoutError) and str(error) in ("", "timed out"):
        return f"no answer in {proxy.CONNECT_TIMEOUT:.0f} s"
    return error.strerror or str(error) or type(error).__name__


def _direct(facts: HttpsFacts, why: str) -> Check:
    name, host = "port 443", facts.host
    try:
        proxy.connect_direct(host)
    except socket.gaierror:
        found = rules.unresolved(host, facts.context())
        return Check(name, FAIL, found.cause, found.fix, EXIT_GIT, found.kind)
    except OSError as error:
        return Check(
            name,
            FAIL,
            f"cannot connect to {host} port 443 directly ({why}): {_reason(error)}; outbound "
            "HTTPS is blocked or the host is unreachable",
            "check your network; behind a proxy, set HTTPS_PROXY or `git config --global "
            "http.proxy http://HOST:PORT`, as the other programs here use",
            EXIT_GIT,
            "https-unreachable",
        )
    return Check(name, OK, f"{host} port 443 accepts connections, directly ({why})")


def _through(facts: HttpsFacts, via: proxy.Proxy) -> Check:
    name, host = "port 443", facts.host
    check_it = f"check {via.source}: is the proxy running, and are its host and port right?"
    try:
        if via.scheme != "http":
            proxy.connect_proxy(via).close()
            return Check(
                name,
                OK,
                f"{via.named} accepts connections; whether it reaches {host} port 443 was not "
                f"asked (doctor speaks HTTP CONNECT only, not {via.scheme})",
            )
        answer = proxy.tunnel(via, host)
    except socket.gaierror:
        return Check(
            name,
            FAIL,
            f"{via.named} cannot be resolved, so git cannot reach {host} port 443 through it",
            check_it,
            EXIT_GIT,
            "https-unreachable",
        )
    except OSError as error:
        return Check(
            name,
            FAIL,
            f"cannot connect to {host} port 443 through {via.named}: {_reason(error)}",
            f"{check_it} (git uses the same setting)",
            EXIT_GIT,
            "https-unreachable",
        )
    if 200 <= answer.status < 300:
        return Check(
            name, OK, f"{host} port 443 through {via.named}: CONNECT answered `{answer.line}`"
        )
    if answer.status == 407:
        fix = f"put the proxy's user and password in {via.source} (http://USER:PASSWORD@HOST:PORT)"
        if via.username is not None:
            fix = f"check the user and password in {via.source} (the proxy refused them)"
        return Check(
            name,
            FAIL,
            f"{via.named} asks for authentication before it connects to {host} port 443 "
            f"(`{answer.line}`)",
            fix,
            EXIT_GIT,
            "https-unreachable",
        )
    return Check(
        name,
        FAIL,
        f"{via.named} refused `CONNECT {host}:443`: it answered `{answer.line}`",
        f"ask for {host}:443 to be allowed through the proxy (CodeCommit over HTTPS needs "
        f"it), or {check_it}",
        EXIT_GIT,
        "https-unreachable",
    )


def reach(facts: HttpsFacts) -> Check:
    """Port 443 the way git would go: through its proxy (CONNECT), or directly (TCP)."""
    try:
        found = proxy.route(facts.url, facts.host, git_config.run_git)
    except BootstrapError as error:
        return failed("port 443", error)
    if found.proxy is None:
        return _direct(facts, found.why)
    return _through(facts, found.proxy)
