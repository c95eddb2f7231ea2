"""The operator's data folder (DAILYPAPERS_HOME): database, secret key, indexes."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dailypapers.core import env


def home_dir() -> Path:
    """Return the data folder, creating it (private to the user) on first use."""
    raw = env.text(
        "HOME",
        "~/.local/share/dailypapers",
        "data folder: the SQLite database, the generated secret key, collected static files, indexes",
    )
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def secret_key(home: Path) -> str:
    """DAILYPAPERS_SECRET_KEY, else a key generated once and kept in the home folder."""
    key = env.text(
        "SECRET_KEY",
        "",
        "Django's secret key (sessions, signed links)",
        shown="generated once into `$DAILYPAPERS_HOME/secret_key`",
    )
    if key:
        return key
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    # O_EXCL: when two processes start at once, exactly one key wins and both use it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
