"""Worker heartbeats: each `--loop` worker (sync, digest send) writes a small file in the data folder
every time round its loop, saying when it will beat next; `/healthz` reads them.

A file, not a database row: a worker whose database is away still beats (its loop goes on), writing
one costs no transaction, and each node's home holds the workers that run on that node, which is
what a load balancer asking that node wants to know.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings


def folder() -> Path:
    return Path(settings.HOME) / "heartbeats"


def beat(name: str, next_in: float) -> None:
    """Record that worker `name` is alive and will beat again within `next_in` seconds."""
    path = folder() / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"at": now, "next": now + next_in, "pid": os.getpid()}))
    os.replace(tmp, path)  # readers never see half a file


def read_all() -> dict[str, dict]:
    """Every worker that has beaten on this node: {name: {"age_s", "overdue_s"}}; overdue_s > 0
    means it missed its next beat by that much."""
    now = time.time()
    found: dict[str, dict] = {}
    try:
        paths = sorted(folder().glob("*.json"))
    except OSError:
        return found
    for path in paths:
        try:
            data = json.loads(path.read_text())
            at, next_at = float(data["at"]), float(data["next"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a file being replaced, or not ours
        found[path.stem] = {"age_s": round(now - at, 1), "overdue_s": round(now - next_at, 1)}
    return found
