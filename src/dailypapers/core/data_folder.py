"""The operator's data folder (DAILYPAPERS_HOME): database, secret key, indexes."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def home_dir() -> Path:
    """Return the data folder, creating it (private to the user) on first use."""
    raw = os.environ.get("DAILYPAPERS_HOME") or "~/.local/share/dailypapers"
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def secret_key(home: Path) -> str:
    """DAILYPAPERS_SECRET_KEY, else a key generated once and kept in the home folder."""
    if key := os.environ.get("DAILYPAPERS_SECRET_KEY"):
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
