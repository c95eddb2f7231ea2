"""Which category codes arXiv has: its taxonomy, and the catalogue's own (retired) categories."""

from __future__ import annotations

import pytest

from dailypapers.papers import arxiv_categories
from dailypapers.papers.models import Category

pytestmark = pytest.mark.django_db


def test_known_codes_in_their_proper_spelling():
    typed = ["cs.cl", "CS.LG", "astro-ph.co", "cond-mat.mes-hall", "hep-th", "cs.XX", "notacat", "cs"]
    assert arxiv_categories.known(typed) == {
        "cs.cl": "cs.CL",
        "CS.LG": "cs.LG",
        "astro-ph.co": "astro-ph.CO",
        "cond-mat.mes-hall": "cond-mat.mes-hall",
        "hep-th": "hep-th",
    }


def test_the_catalogues_categories_count_too():
    assert arxiv_categories.known(["solv-int"]) == {}
    Category.objects.create(code="solv-int")
    found = arxiv_categories.known(["solv-int", "SOLV-INT"])
    assert found == {"solv-int": "solv-int", "SOLV-INT": "solv-int"}


def test_the_taxonomy_is_whole():
    assert len(arxiv_categories.ARXIV_CATEGORIES) > 150
    assert {"cs.AI", "stat.ML", "eess.SY", "math.OC", "q-bio.NC", "physics.optics", "quant-ph"} <= (
        arxiv_categories.ARXIV_CATEGORIES
    )
