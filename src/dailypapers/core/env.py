"""Reading settings from the environment: one family of helpers, one way to spell each kind of value.

Every `DAILYPAPERS_*` variable is read through these functions, which also record it in `VARIABLES`
(name, default, meaning), so the README's configuration table can be checked against what the
settings really read. A value that cannot be read stops the start with one clear sentence.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

PREFIX = "DAILYPAPERS_"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
T = TypeVar("T")


@dataclass(frozen=True)
class Variable:
    name: str  # without the prefix, as the setting is named
    default: str  # as the README shows it
    doc: str


VARIABLES: dict[str, Variable] = {}


def _read(
    name: str, default: object, doc: str, parse: Callable[[str], T], kind: str, shown: str | None = None
) -> T:
    VARIABLES[name] = Variable(name, _shown(default) if shown is None else shown, doc)
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default  # type: ignore[return-value]
    try:
        return parse(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be {kind}, not {raw!r}.") from None


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    return "" if default is None else str(default)


def text(name: str, default: str = "", doc: str = "") -> str:
    return _read(name, default, doc, str, "text")


def integer(name: str, default: int, doc: str = "") -> int:
    return _read(name, default, doc, int, "a whole number")


def number(name: str, default: float, doc: str = "") -> float:
    return _read(name, default, doc, float, "a number")


def flag(name: str, default: bool = False, doc: str = "") -> bool:
    def parse(raw: str) -> bool:
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise ValueError(raw)

    return _read(name, default, doc, parse, "one of 1/0, true/false, yes/no, on/off")


def items(name: str, default: list[str], doc: str = "", separator: str | None = ",") -> list[str]:
    """A list: comma-separated by default, or separated by spaces with separator=None."""

    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(separator) if item.strip()]

    shown = (separator or " ").join(default)
    return _read(name, list(default), doc, parse, "a list", shown)
