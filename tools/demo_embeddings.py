"""Embed the bundled demo once and ship the vectors, so that a first start has meaning search at once.

    python tools/demo_embeddings.py

Loads the demo snapshot into a scratch home (SQLite), embeds every paper's title and abstract with the
bundled model, and writes src/dailypapers/search/data/demo-embeddings.npz: each text's hash (model
name and text, as `search.indexing.text_hash` makes it) and its float32 vector. The indexer takes a
vector from there when the hash matches, instead of running the model (see
`search.embedding.bundled_vectors`). Rerun it after changing the demo or the bundled model: a test
compares a few shipped vectors with what the model gives now.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["DAILYPAPERS_HOME"] = home
        os.environ.pop("DATABASE_URL", None)
        os.environ["DAILYPAPERS_SEARCH_SEMANTIC"] = "0"  # no background indexer: the vectors are made here
        os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
        import django

        django.setup()
        from django.core.management import call_command

        from dailypapers.papers.models import Paper
        from dailypapers.search.embedding import BUNDLED_MODEL_DIR, BUNDLED_VECTORS, Embedder, paper_text
        from dailypapers.search.indexing import text_hash
        from dailypapers.sources.demo import load_demo

        call_command("migrate", verbosity=0)
        load_demo()
        texts = sorted({paper_text(t, a) for t, a in Paper.objects.values_list("title", "abstract")})
        model = Embedder(BUNDLED_MODEL_DIR)
        vectors = model.embed(texts)
        hashes = np.array([text_hash(model.name, t) for t in texts], dtype="S16")
        BUNDLED_VECTORS.parent.mkdir(exist_ok=True)
        np.savez_compressed(BUNDLED_VECTORS, hashes=hashes, vectors=vectors.astype(np.float32))
        print(f"wrote {len(texts)} vectors of {model.name} to {BUNDLED_VECTORS}")


if __name__ == "__main__":
    main()
