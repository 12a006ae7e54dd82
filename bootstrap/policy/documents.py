"""IAM policy documents as the tool holds them: each with where it is attached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
