"""sshd's AuthorizedKeysCommand for the CodeCommit double: `python -m sandbox.authorized_keys`.

sshd calls it with the login name (%u), which for CodeCommit is an SSH key id (APKA...). It
looks the id up in the moto IAM server and prints the key only if its Status is Active, with a
forced command (sandbox.codecommit) bound to the key's IAM user. Unknown or Inactive -> prints
nothing, so sshd answers "Permission denied (publickey)". No delay: real CodeCommit takes ~10 s
to accept a fresh key; the sandbox accepts at once.

sshd runs it with a minimal environment (PATH, USER, HOME...) and discards its stderr, so every
input comes on the command line and diagnostics go to STATE/authorized_keys.log.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.gitaccess import KEYS_LOG, append_log
from sandbox.iam import find_ssh_key
from sandbox.iam_query import IamQuery

REPO_ROOT = Path(__file__).resolve().parent.parent


def forced_command(
    *, python: str, state: Path, endpoint: str, user: str, key_id: str, region: str
) -> str:
    """The shell command sshd runs for this key, whatever the client asked for."""
    argv = [
        "/usr/bin/env",
        f"PYTHONPATH={REPO_ROOT}",
        "AWS_CONFIG_FILE=/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
        python,
        "-m",
        "sandbox.codecommit",
        "--state",
        str(state),
        "--endpoint",
        endpoint,
        "--user",
        user,
        "--key-id",
        key_id,
        "--region",
        region,
    ]
    command = " ".join(shlex.quote(arg) for arg in argv)
    if '"' in command or "\\" in command:
        raise ValueError(f"cannot embed in an authorized_keys option: {command}")
    return command


def authorized_keys_line(key_body: str, command: str) -> str:
    return f'restrict,command="{command}" {key_body.strip()}'


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox.authorized_keys")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("login", help="the SSH login name: a key id")
    args = parser.parse_args(argv)

    found = find_ssh_key(IamQuery(args.endpoint), args.login)
    if found is None:
        verdict = "unknown key id"
    elif found.status != "Active":
        verdict = f"{found.status} key of {found.user_name}"
    else:
        verdict = f"Active key of {found.user_name}"
        command = forced_command(
            python=args.python,
            state=args.state,
            endpoint=args.endpoint,
            user=found.user_name,
            key_id=args.login,
            region=args.region,
        )
        print(authorized_keys_line(found.body, command))
    append_log(args.state, KEYS_LOG, f"{args.login}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
