"""`bootstrap doctor`'s checks of the server side of ssh: can we reach it, and do we trust it?

Both follow what `ssh -G` says (HostName, Port, HostKeyAlias, known_hosts files), so a routing
block or a proxy in the user's config is honoured exactly as ssh will.
"""

from __future__ import annotations

import socket

from bootstrap.diagnosis import rules
from bootstrap.doctor.checks import FAIL, OK, WARN, Check, Facts, not_checked
from bootstrap.errors import EXIT_GIT, EXIT_HOST_KEY, BootstrapError
from bootstrap.ssh import hostkeys, locations

CONNECT_TIMEOUT = 5.0


def reach(facts: Facts) -> Check:
    name = "port 22"
    if facts.options is None:
        return not_checked(name, "ssh's options are unknown (see ssh config)")
    target = hostkeys.Target.from_options(facts.host, facts.options)
    facts.target = target
    for option in ("proxycommand", "proxyjump"):
        value = facts.options.first(option)
        if value and value != "none":
            return not_checked(name, f"ssh connects through {option} `{value}`")
    where = f"{target.hostname} port {target.port}"
    try:
        socket.create_connection((target.hostname, target.port), CONNECT_TIMEOUT).close()
    except socket.gaierror:
        found = rules.unresolved(target.hostname, facts.context())
        return Check(name, FAIL, found.cause, found.fix, EXIT_GIT, found.kind)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        found = rules.unreachable(target.hostname, str(target.port), reason, facts.context())
        return Check(name, FAIL, found.cause, found.fix, EXIT_GIT, found.kind)
    facts.reachable = True
    via = f" ({facts.host} per ssh -G)" if target.hostname != facts.host else ""
    return Check(name, OK, f"{where}{via} accepts connections")


def _material(line: str) -> str:
    parts = line.split()
    return f"{parts[1]} {parts[2]}" if len(parts) >= 3 else ""


def known_hosts(facts: Facts) -> Check:
    name = "known_hosts"
    target = facts.target
    if target is None:
        return not_checked(name, "ssh's options are unknown (see ssh config)")
    entry = hostkeys.known_entry_file(target)
    if entry is None:
        files_read = ", ".join(locations.tilde(p) for p in target.user_known_hosts) or "none"
        return Check(
            name,
            FAIL,
            f"no known_hosts entry for {target.known_hosts_name} (read: {files_read}); ssh "
            "will refuse to connect",
            f"run `bootstrap init --region {facts.region}`: it checks the server's key against "
            "AWS's published fingerprint before trusting it",
            EXIT_HOST_KEY,
        )
    where = f"{target.known_hosts_name} is in {locations.tilde(entry)}"
    if not facts.reachable:
        return Check(name, OK, f"{where} (the server's key was not compared: see port 22)")
    try:
        server = hostkeys.fetch(target)
    except BootstrapError as error:
        return Check(name, WARN, f"{where}, but the server's key could not be read: {error.cause}")
    published = facts.endpoint.published_fingerprint
    lines = hostkeys.lookup(target.known_hosts_name, entry)
    if server.material not in {_material(line) for line in lines}:
        if published and server.sha256 == published:
            verdict = f"it is the one AWS publishes for {facts.region}: the entry is stale"
            fix = f"ssh-keygen -f {entry} -R {target.known_hosts_name}, then `bootstrap init`"
        else:
            verdict = "someone may be intercepting your connection"
            fix = "do not connect and do not remove the entry; tell your security team"
        return Check(
            name,
            FAIL,
            f"the server shows {server.sha256}, not the key {locations.tilde(entry)} trusts for "
            f"{target.known_hosts_name}: {verdict}",
            fix,
            EXIT_HOST_KEY,
        )
    line = f"{where} and matches the server's key {server.sha256}"
    marked = any(hostkeys.ENTRY_MARKER in text for text in lines)
    if published and server.sha256 != published and not marked:
        return Check(
            name,
            WARN,
            f"{line}, which is not the one AWS publishes for {facts.region} ({published})",
            "make sure you trusted it knowingly; ask your security team if not",
        )
    return Check(name, OK, line)
