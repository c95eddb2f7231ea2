"""The site's search engine and embedding model: one of each per process, shared by querying and
indexing.

The engine reads the folder settings.SEARCH_DIR and reopens its files when another process (an
indexer) has changed them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from django.conf import settings

from .embedding import Embedder, ModelMissing, get_embedder
from .engine import Engine, Fusion

log = logging.getLogger(__name__)

EPOCH = dt.date(1970, 1, 1)  # the index keeps publication days as days since this date

NO_GRAPH = 1 << 62  # an hnsw threshold never reached

_engine: Engine | None = None
_engine_lock = threading.RLock()


def _fusion() -> Fusion:
    return Fusion(lexical_weight=settings.SEARCH_LEXICAL_WEIGHT)


def embedder() -> Embedder | None:
    """The embedding model, or None when semantic search is off or the model cannot load."""
    if not settings.SEARCH_SEMANTIC:
        return None
    try:
        return get_embedder()
    except (ModelMissing, OSError, RuntimeError) as exc:  # a bad model folder must not break search
        log.warning("semantic search off: %s", exc)
        return None


def _dim_and_model() -> tuple[int, str]:
    model = embedder()
    return (model.dim, model.name) if model else (384, "")


def get_engine() -> Engine:
    """The engine over settings.SEARCH_DIR, reopened when another process has changed its files."""
    global _engine
    root = Path(settings.SEARCH_DIR)
    with _engine_lock:
        dim, model = _dim_and_model()
        if _engine is None or _engine.root != root or (model and _engine.model != model):
            _engine = Engine(
                root, dim=dim, model=model, hnsw_threshold=settings.SEARCH_HNSW_THRESHOLD, fusion=_fusion()
            )
        else:
            _engine.fusion = _fusion()
            _engine.refresh()
        return _engine


def keyword_writer() -> Engine:
    """An engine of its own, for writing keywords beside the threads that search with get_engine()
    (whose state a writer would change under them). It never loads the vector graph."""
    dim, model = _dim_and_model()
    return Engine(Path(settings.SEARCH_DIR), dim=dim, model=model, hnsw_threshold=NO_GRAPH)


def reset() -> None:
    """Forget the open engine (tests switch SEARCH_DIR)."""
    global _engine
    with _engine_lock:
        _engine = None
