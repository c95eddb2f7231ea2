"""Every data file the code ships (the model, the demo, its vectors, templates, static files) is named
in pyproject's package-data: an editable install finds any file, a wheel only those named."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _matches(relative: str, patterns: list[str]) -> bool:
    # setuptools' globs: "**" spans folders; fnmatch's "*" already crosses "/" too.
    return any(
        fnmatch.fnmatch(relative, p.replace("**/", "")) or fnmatch.fnmatch(relative, p) for p in patterns
    )


def test_every_data_file_is_in_the_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for path in sorted((SRC / "dailypapers").rglob("*")):
        if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        # The package a file belongs to: the nearest folder above it with an __init__.py.
        package = path.parent
        while not (package / "__init__.py").is_file():
            package = package.parent
        relative = path.relative_to(package).as_posix()
        name = ".".join(package.relative_to(SRC).parts)
        if not _matches(relative, data.get("*", []) + data.get(name, [])):
            missing.append(path.relative_to(ROOT).as_posix())
    assert missing == []
