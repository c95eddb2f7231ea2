"""The apps form layers, bottom up; no module of a lower app imports a higher one, at module level or
inside a function. Apps on one floor (sources and search; community, accounts and collections) don't
import each other either: what they share lives below them. Recommendations learn from community
signals and feed personal digests, so they sit between the two."""

from __future__ import annotations

import ast
from pathlib import Path

import dailypapers

FLOORS = [
    {"core"},
    {"papers"},
    {"sources", "search"},
    {"community", "accounts", "collections"},
    {"recommend"},
    {"digests"},
    {"api"},
    {"front"},
]
FLOOR = {app: level for level, apps in enumerate(FLOORS) for app in apps}
PACKAGE = Path(dailypapers.__file__).parent


def imported_apps(path: Path) -> set[tuple[int, str]]:
    """(line, app) of every `dailypapers.<app>` import in the module, wherever it stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "dailypapers" and len(parts) > 1 and parts[1] in FLOOR:
                found.add((node.lineno, parts[1]))
    return found


def test_every_app_has_a_floor():
    apps = {p.parent.name for p in PACKAGE.glob("*/apps.py")}
    assert apps == set(FLOOR), "add new apps to FLOORS (and to INSTALLED_APPS in the same order)"


def test_no_app_imports_one_above_it_or_beside_it():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        # Migrations name other apps' migrations by string; Django, not an import, orders them.
        if len(relative.parts) < 2 or relative.parts[0] not in FLOOR or "migrations" in relative.parts:
            continue
        app = relative.parts[0]
        for line, other in imported_apps(path):
            if other != app and FLOOR[other] >= FLOOR[app]:
                upward.append(f"{relative}:{line} ({app}) imports {other}")
    assert not upward, "\n".join(upward)


def test_installed_apps_follow_the_floors():
    from django.conf import settings

    ours = [name.split(".")[1] for name in settings.INSTALLED_APPS if name.startswith("dailypapers.")]
    assert [FLOOR[app] for app in ours] == sorted(FLOOR[app] for app in ours)
