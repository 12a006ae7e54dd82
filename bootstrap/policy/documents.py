"""IAM policy documents as the tool holds them: each with where it is attached, and the text
of a policy file an administrator hands us (`bootstrap policy --from`, `doctor --policy-file`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.errors import LocalFileError


@dataclass(frozen=True)
class NamedPolicy:
    """One identity policy of the user, and where it is attached."""

    name: str
    kind: str  # inline | managed | group inline | group managed | file
    document: Mapping[str, Any]
    arn: str | None = None  # managed policies
    group: str | None = None  # policies that come through a group

    def describe(self) -> str:
        if self.kind == "file":
            return f"policy file {self.name}"
        via = f" (via group {self.group})" if self.group else ""
        if self.arn:
            return f"managed policy {self.arn}{via}"
        return f"inline policy '{self.name}'" + (f" of group {self.group}" if self.group else "")


def read_policy_file(path: str, *, stdin: bool = False) -> str:
    """The text of a policy file; with `stdin`, the path '-' reads standard input."""
    if stdin and path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        pipe = ", or pass - and pipe it in" if stdin else ""
        raise LocalFileError(
            f"cannot read the policy file {path}: {reason}",
            f"check the path; save the policy JSON from the IAM console to a file{pipe}",
        ) from None
