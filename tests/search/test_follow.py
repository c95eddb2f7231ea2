"""Each node's index follows the shared database (search/follow.py): a paper that arrives through one
node is indexed by the follower of another, whose index folder is its own."""

from __future__ import annotations

import pytest
from django.db import transaction

from dailypapers.papers.models import Paper
from dailypapers.papers.signals import catalogue_changed_on_commit
from dailypapers.search import follow, instance
from dailypapers.search.models import CatalogueChange
from dailypapers.search.query import search_papers
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db(transaction=True)  # the change log is written once a change commits


def found(words: str) -> list[str]:
    return [hit.paper.arxiv_id for hit in search_papers(words, limit=3).hits]


def on_node(settings, folder) -> None:
    settings.SEARCH_DIR = folder
    instance.reset()


def test_a_node_s_follower_indexes_what_another_node_changed(settings, tmp_path):
    node_a, node_b = settings.SEARCH_DIR, tmp_path / "node-b"
    add_paper("2601.00100", "Wombats at dusk")
    on_node(settings, node_b)
    follower = follow.Follower()
    assert follower.step() == 0  # a first run checks every paper, then follows the log from here
    assert found("wombats") == ["2601.00100"]

    on_node(settings, node_a)
    add_paper("2601.00101", "Quokkas in the wild")  # arrives through node A, indexed there at once
    assert found("quokkas") == ["2601.00101"]
    on_node(settings, node_b)
    assert found("quokkas") == []
    assert follower.step() == 1
    assert found("quokkas") == ["2601.00101"]
    assert follower.step() == 0  # nothing new

    # A moderator on node A hides it: node B's index drops it too.
    on_node(settings, node_a)
    with transaction.atomic():
        paper = Paper.objects.get(arxiv_id="2601.00101")
        paper.hidden = True
        paper.save()
        catalogue_changed_on_commit([paper.pk])
    on_node(settings, node_b)
    restarted = follow.Follower()  # the watermark is kept in node B's index folder
    assert restarted.step() == 1
    assert found("quokkas") == []


def test_a_change_too_large_for_one_row_is_split_and_followed(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(follow, "IDS_PER_ROW", 2)
    follow.record_change({5, 3, 9, 1, 7})
    assert [c.paper_ids for c in CatalogueChange.objects.order_by("id")][-3:] == [[1, 3], [5, 7], [9]]
