"""The real parts the tests use from ../shared (data, recorded traffic), where screenshots go, and
`need`, which skips a test whose part is missing on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared")).resolve()
HF_DIR = SHARED / "data" / "hf-daily-papers"
ARTIFACTS = REPO / "test-artifacts"
# In CI nothing may be skipped for want of a part: a skip there hides a missing install step.
STRICT = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, why: str) -> None:
    """Skip (or, in CI, fail) a test whose real part is missing on this machine."""
    if not condition:
        if STRICT:
            pytest.fail(f"required in CI: {why}")
        pytest.skip(why)
