"""Run `bootstrap` with every AWS request it sends recorded: `python bench/aws_requests.py ARGS`.

A count, not a time. Every botocore session created in this process (boto3's included) gets a
`before-send` handler, which botocore emits once per HTTP request it is about to send (retries
included), named `before-send.<service>.<Operation>`. Each one is appended, as `service
Operation`, to the file named by $BENCH_AWS_REQUEST_LOG, as it happens, so a run that fails
half-way still leaves the requests it sent.

Run it as a script path, not with -m: it must work with any working directory, and it imports
nothing but botocore and bootstrap.
"""

from __future__ import annotations

import os
import sys
from typing import Any

LOG_VARIABLE = "BENCH_AWS_REQUEST_LOG"


def install(log_path: str) -> None:
    """Record the requests of every botocore session created from now on."""
    import botocore.session

    def record(**event: Any) -> None:
        _before_send, service, operation = str(event["event_name"]).split(".", 2)
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"{service} {operation}\n")

    original_init = botocore.session.Session.__init__

    def init_and_listen(self: botocore.session.Session, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.register("before-send", record)

    botocore.session.Session.__init__ = init_and_listen  # type: ignore[method-assign]


def read_log(log_path: str) -> list[tuple[str, str]]:
    """The (service, Operation) pairs recorded, in the order they were sent."""
    try:
        with open(log_path, encoding="utf-8") as log:
            lines = log.read().splitlines()
    except FileNotFoundError:
        return []
    return [(service, operation) for service, operation in (line.split(" ", 1) for line in lines)]


def main(argv: list[str]) -> int:
    log_path = os.environ.get(LOG_VARIABLE)
    if not log_path:
        print(f"set ${LOG_VARIABLE} to the file that receives the requests", file=sys.stderr)
        return 2
    install(log_path)
    from bootstrap.cli import main as bootstrap_main

    return bootstrap_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
