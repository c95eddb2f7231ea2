"""Reading settings from the environment: one family of helpers, one way to spell each kind of value.

Every `DAILYPAPERS_*` variable is read through these functions, which also record it in `VARIABLES`
(name, default, meaning), so the README's configuration table can be checked against what the
settings really read. A value that cannot be read stops the start with one clear sentence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from django.core.exceptions import ImproperlyConfigured

PREFIX = "DAILYPAPERS_"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
T = TypeVar("T")


@dataclass(frozen=True)
class Variable:
    name: str  # without the prefix, as the setting is named
    default: str  # as the README shows it (Markdown)
    doc: str


VARIABLES: dict[str, Variable] = {}


def _raw(name: str) -> str | None:
    raw = os.environ.get(PREFIX + name)
    return None if raw is None or raw.strip() == "" else raw


def is_set(name: str) -> bool:
    """Whether the operator set DAILYPAPERS_<name> (an empty value counts as unset, as everywhere)."""
    return _raw(name) is not None


def _read(
    name: str,
    default: object,
    doc: str,
    parse: Callable[[str], T],
    kind: str,
    shown: str | None = None,
    earlier: str = "",
) -> T:
    VARIABLES[name] = Variable(name, _shown(default) if shown is None else shown, doc)
    raw = _raw(name)
    if raw is None and earlier:
        raw = _raw(earlier)  # the variable's earlier name, still honoured
        name = earlier if raw is not None else name
    if raw is None:
        return default  # type: ignore[return-value]
    try:
        return parse(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be {kind}, not {raw!r}.") from None


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "off" if not default else "on"
    text = "" if default is None else str(default)
    return f"`{text}`" if text else "empty"


def text(name: str, default: str = "", doc: str = "", shown: str | None = None, earlier: str = "") -> str:
    return _read(name, default, doc, str, "text", shown, earlier)


def integer(name: str, default: int, doc: str = "") -> int:
    return _read(name, default, doc, int, "a whole number")


def number(name: str, default: float, doc: str = "") -> float:
    return _read(name, default, doc, float, "a number")


def flag(name: str, default: bool = False, doc: str = "", shown: str | None = None) -> bool:
    def parse(raw: str) -> bool:
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise ValueError(raw)

    return _read(name, default, doc, parse, "one of 1/0, true/false, yes/no, on/off", shown)


def items(name: str, default: list[str], doc: str = "", separator: str | None = ",") -> list[str]:
    """A list: comma-separated by default, or separated by spaces with separator=None."""

    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(separator) if item.strip()]

    shown = (separator or " ").join(default)
    return _read(name, list(default), doc, parse, "a list", shown)


# --- Rates: the one syntax of every per-client limit (dailypapers.core.limits) ---

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"(\d+)/([1-9]\d*)?([smhd])")


class Rate(NamedTuple):
    count: int  # events allowed per window
    seconds: int  # the window


def parse_rate(text: str) -> Rate | None:
    """ "5/15m" -> Rate(5, 900); "" -> None (no limit). ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    match = _RATE.fullmatch(text)
    if not match:
        raise ValueError(f"not a rate: {text!r} (write N/s, N/m, N/h, N/d or e.g. 5/15m; empty for none)")
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * UNITS[unit])


def rate(name: str, default: str, doc: str = "", earlier: tuple[str, str] | None = None) -> str:
    """A rate, "N/<window>" ("300/m", "10/h", "5/15m"); empty or a count of 0: no limit.

    `earlier` names the variables that set it before rates existed, (a count, window seconds or ""),
    still honoured when the rate itself is not set."""

    def parse(raw: str) -> str:
        parsed = parse_rate(raw)
        return raw if parsed and parsed.count else ""

    value = _read(name, default, doc, parse, "a rate such as 300/m, 10/h or 5/15m (empty: no limit)")
    if _raw(name) is None and earlier and any(_raw(var) is not None for var in earlier if var):
        count_name, window_name = earlier
        fallback = parse_rate(default)
        assert fallback is not None
        count = _read(count_name, fallback.count, "", int, "a whole number")
        seconds = (
            _read(window_name, fallback.seconds, "", int, "a whole number")
            if window_name
            else fallback.seconds
        )
        for var in earlier:
            VARIABLES.pop(var, None)  # earlier names are not listed as settings of their own
        value = f"{count}/{seconds}s" if count else ""
    return value


# --- The README's table ---

BEGIN_TABLE = (
    "<!-- settings table: generated by tools/settings_table.py; edit src/dailypapers/settings.py -->"
)
END_TABLE = "<!-- end of settings table -->"
# Read outside the settings, by dj-database-url.
DATABASE_ROW = (
    "| `DATABASE_URL` | SQLite in the home folder | e.g. `postgres://user:pass@127.0.0.1:5432/dailypapers` "
    "to use PostgreSQL |"
)


def markdown_table() -> str:
    """Every variable the settings read, as the README's configuration table (settings must be loaded)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for variable in VARIABLES.values():
        rows.append(f"| `{PREFIX}{variable.name}` | {cell(variable.default)} | {cell(variable.doc)} |")
        if variable.name == "HOME":
            rows.append(DATABASE_ROW)
    return "\n".join(rows)
