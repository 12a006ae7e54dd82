"""Read the files in templates/: package data when installed, the checkout's folder otherwise."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Installed, templates/ is shipped as bootstrap/templates; in a source checkout it sits beside.
_PLACES = (_HERE / "templates", _HERE.parent / "templates")


def read(name: str) -> str:
    for folder in _PLACES:
        candidate = folder / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"template {name} is missing from the installation")
