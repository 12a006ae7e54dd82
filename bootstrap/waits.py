"""How long bootstrap waits on the network: every wait has a bound, and these are they.

A server (or a middlebox) that accepts TCP and never speaks must end a run, not hang it: in
Ansible or cloud-init nothing would ever interrupt it. Each bound can be set in the
environment (seconds), for a slow network, and so that tests need not wait for the defaults.
"""

from __future__ import annotations

import os

# ssh's ConnectTimeout (TCP connect and the SSH banner), and the host-key read.
CONNECT_ENV = "BOOTSTRAP_CONNECT_TIMEOUT"
CONNECT_DEFAULT = 10
# ssh's ServerAliveInterval: once connected, a server silent for COUNT intervals is given up.
ALIVE_ENV = "BOOTSTRAP_SERVER_ALIVE_INTERVAL"
ALIVE_DEFAULT = 15
ALIVE_COUNT = 3
# One whole git run (a clone, an ls-remote): the bound behind the two above.
GIT_ENV = "BOOTSTRAP_GIT_TIMEOUT"
GIT_DEFAULT = 300
# botocore's read timeout for one AWS request; it tries AWS_ATTEMPTS times in all (the first
# and 3 retries: up to 3 faults in a row are absorbed).
AWS_ENV = "BOOTSTRAP_AWS_TIMEOUT"
AWS_DEFAULT = 10
AWS_ATTEMPTS = 4
# After this long without an answer from AWS, say that we are waiting.
AWS_NOTICE_AFTER = 5.0


def _seconds(name: str, default: int) -> int:
    """The bound set in `name`, or `default` when unset or not a positive whole number."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def connect() -> int:
    return _seconds(CONNECT_ENV, CONNECT_DEFAULT)


def server_alive_interval() -> int:
    return _seconds(ALIVE_ENV, ALIVE_DEFAULT)


def git_run() -> int:
    return _seconds(GIT_ENV, GIT_DEFAULT)


def aws_read() -> int:
    return _seconds(AWS_ENV, AWS_DEFAULT)


def aws_notice_after() -> float:
    """A quick warning, but never before a read timeout shorter than it could end the wait."""
    return min(AWS_NOTICE_AFTER, float(aws_read()))


def aws_total() -> int:
    """About the longest one AWS call can take before it fails: each attempt's read timeout,
    plus botocore's backoff between attempts (at most 2**n seconds before attempt n + 1)."""
    return aws_read() * AWS_ATTEMPTS + sum(1 << n for n in range(1, AWS_ATTEMPTS))
