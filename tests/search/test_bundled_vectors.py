"""The demo's vectors ship with the package (tools/demo_embeddings.py): the indexer takes them where a
paper's text is the demo's, and runs the model only for the rest."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import indexing
from dailypapers.search.embedding import bundled_vectors, get_embedder, paper_text
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.query import search_papers
from dailypapers.sources.demo import load_demo
from tests.support.factories import add_paper


@pytest.mark.one_pass("sqlite")
def test_the_shipped_vectors_are_what_the_bundled_model_gives_now(db):
    """A changed model or demo without a rerun of tools/demo_embeddings.py fails here."""
    load_demo()
    model = get_embedder()
    texts = [paper_text(t, a) for t, a in Paper.objects.order_by("arxiv_id").values_list("title", "abstract")]
    shipped = bundled_vectors(indexing.text_hash(model.name, t) for t in texts)
    assert len(shipped) == len(texts)  # every demo paper has one
    sample = texts[:: max(1, len(texts) // 6)]
    now = model.embed(sample)
    # The int8 model quantises each batch's activations with the batch's own scale, so the same text
    # embedded beside other texts differs a little (cosine about 0.997); another model is far off.
    for text, vector in zip(sample, now, strict=True):
        assert float(vector @ shipped[indexing.text_hash(model.name, text)]) > 0.99


def test_the_indexer_takes_shipped_vectors_and_embeds_only_new_texts(db, monkeypatch):
    load_demo()
    demo = Paper.objects.order_by("arxiv_id").first()
    edited = Paper.objects.order_by("-arxiv_id").first()
    edited.abstract += " Revised."  # no longer the shipped text: embedded by the model
    edited.save(update_fields=["abstract"])
    add_paper(
        "2601.00001", "Sparse mixture of experts for translation", abstract="Routing tokens to experts."
    )
    model = get_embedder()
    embedded: list[str] = []
    real_embed = type(model).embed

    def counting_embed(self, texts, **kwargs):
        embedded.extend(texts)
        return real_embed(self, texts, **kwargs)

    monkeypatch.setattr(type(model), "embed", counting_embed)

    indexing.update_index()

    assert set(embedded) == {
        paper_text(edited.title, edited.abstract),
        paper_text("Sparse mixture of experts for translation", "Routing tokens to experts."),
    }
    assert PaperEmbedding.objects.count() == Paper.objects.count()
    stored = PaperEmbedding.objects.get(paper=demo).as_array()
    shipped = bundled_vectors([indexing.text_hash(model.name, paper_text(demo.title, demo.abstract))])
    assert np.array_equal(stored, next(iter(shipped.values())))
    # Search works on them: a demo paper is found by its title.
    assert search_papers(demo.title).hits[0].paper == demo
