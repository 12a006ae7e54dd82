"""The sshd forced command that plays CodeCommit: `python -m sandbox.codecommit ...`.

sshd runs it (via the `command="..."` that sandbox.authorized_keys prints) after the key was
accepted, with SSH_ORIGINAL_COMMAND set to what git asked for, e.g.
`git-upload-pack '/v1/repos/NAME'` (unset for a plain `ssh HOST`). It refuses like CodeCommit
(stderr + exit code) or execs git-upload-pack / git-receive-pack on STATE/repos/NAME.git.
The region is the one the sshd serves (one region per server), passed as --region.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.gitaccess import ACCESS_LOG, append_log, decide
from sandbox.iam_query import IamQuery


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sandbox.codecommit")
    parser.add_argument("--state", type=Path, required=True, help="server workdir (has repos/)")
    parser.add_argument("--endpoint", required=True, help="moto server URL")
    parser.add_argument("--user", required=True, help="IAM user that owns the key")
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--region", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    outcome = decide(
        command,
        repos_dir=args.state / "repos",
        iam=IamQuery(args.endpoint),
        user_name=args.user,
        region=args.region,
        base_env=os.environ,
    )
    # stdout belongs to git and stderr to the client: the record goes to a file.
    append_log(args.state, ACCESS_LOG, f"{args.key_id} {args.user} {command!r} {outcome.summary}")
    if not outcome.allowed:
        sys.stderr.write(outcome.text)
        return outcome.exit_code
    sys.stdout.flush()
    os.execvpe(outcome.argv[0], outcome.argv, outcome.env)


if __name__ == "__main__":
    sys.exit(main())
