"""One owner for the search index: the catalogue says what changed (papers.signals.catalogue_changed,
sent once a transaction commits) and the search app's receiver indexes it. Nothing else starts
indexing but `dailypapers index`, kept for repairs."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory

from dailypapers.papers.models import Paper
from dailypapers.papers.signals import batched_changes, catalogue_changed, catalogue_changed_on_commit
from dailypapers.search import indexing, receivers
from dailypapers.search.engine import IndexBusy
from dailypapers.search.query import search_papers
from tests.support.factories import add_paper, add_user
from tests.support.recorded_arxiv import arxiv_replay
from tests.support.shared import SHARED, need

# Committed data: the signal is sent when a transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def found(title: str) -> list[str]:
    return [hit.paper.arxiv_id for hit in search_papers(title, limit=3).hits]


@pytest.fixture
def sent():
    """What catalogue_changed carries, signal by signal."""
    seen: list[dict] = []

    def listen(sender, **kwargs):
        seen.append(kwargs)

    catalogue_changed.connect(listen)
    yield seen
    catalogue_changed.disconnect(listen)


def test_a_paper_submitted_on_the_web_is_searchable_when_the_request_returns(client, replay_server, settings):
    arxiv_replay(replay_server, settings)
    settings.SUBMIT_MAX_AGE_DAYS = 0  # the recorded paper is years old
    client.force_login(add_user("ada"))
    response = client.post("/papers/submit", {"paper": "1707.08567", "github_repo": "https://github.com/a/b"})
    assert response.status_code == 302 and response["Location"] == "/papers/1707.08567"
    paper = Paper.objects.get(arxiv_id="1707.08567")
    assert found(paper.title)[0] == "1707.08567"
    assert search_papers(paper.title, has_code=True).hits[0].paper == paper  # its link counts at once
    assert indexing.index_status()["vectors"] == 1  # embedded too (conftest: in-process)


def test_a_hidden_paper_leaves_the_index_and_comes_back_when_shown(client):
    add_paper("2611.00701", "Spectral sparsifiers for streaming hypergraphs")
    add_paper("2611.00702", "A neighbour that stays")
    title = "Spectral sparsifiers for streaming hypergraphs"
    paper = Paper.objects.get(arxiv_id="2611.00701")
    assert found(title)[0] == "2611.00701"
    assert indexing.index_status()["vectors"] == 2
    client.force_login(add_user("mod", is_staff=True, is_superuser=True))

    client.post("/admin/papers/paper/", {"action": "hide", "_selected_action": [paper.pk]})
    assert search_papers(title, mode="lexical").hits == [] and "2611.00701" not in found(title)
    status = indexing.index_status()
    assert (status["documents"], status["vectors"]) == (1, 1)  # gone from the index, not filtered out

    client.post("/admin/papers/paper/", {"action": "show", "_selected_action": [paper.pk]})
    assert found(title)[0] == "2611.00701"
    assert indexing.index_status()["vectors"] == 2


def test_hiding_a_paper_with_the_admin_form_takes_it_out_of_the_index():
    add_paper("2611.00703", "Quantum walks on lattice gauge fields")
    paper = Paper.objects.get(arxiv_id="2611.00703")
    paper_admin = admin.site._registry[Paper]
    request = RequestFactory().post("/admin/papers/paper/1/change/")
    request.user = add_user("mod", is_staff=True, is_superuser=True)
    paper.hidden = True
    with transaction.atomic():  # as the admin's change view saves
        paper_admin.save_model(request, paper, SimpleNamespace(changed_data=["hidden"]), change=True)
    assert "2611.00703" not in found("Quantum walks on lattice gauge fields")
    paper.hidden = False
    paper_admin.save_model(request, paper, SimpleNamespace(changed_data=["hidden"]), change=True)
    assert found("Quantum walks on lattice gauge fields")[0] == "2611.00703"


def test_an_arxiv_snapshot_import_is_searchable_without_an_index_call(tmp_path):
    month = SHARED / "data" / "arxiv-snapshot" / "arxiv-2026-07.jsonl.gz"
    need(month.is_file(), f"the arXiv snapshot is not at {month}")
    with gzip.open(month, "rt") as fh:
        lines = [next(fh) for _ in range(12)]
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(lines))
    out = StringIO()
    call_command("import", "arxiv-snapshot", str(sample), "--no-progress", "--serial", stdout=out)
    assert "Papers: 12 new" in out.getvalue()
    assert indexing.index_status()["vectors"] == 12
    for paper in Paper.objects.all()[:3]:
        assert found(paper.title)[0] == paper.arxiv_id


def test_changes_are_sent_once_committed_and_never_after_a_rollback(sent):
    add_paper("2611.00704", "Sent once")
    pk = Paper.objects.get(arxiv_id="2611.00704").pk
    [one] = sent
    assert one == {"signal": catalogue_changed, "paper_ids": {pk}, "wait": False, "progress": False}
    sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        catalogue_changed_on_commit([pk])
        raise RuntimeError("rolled back")
    catalogue_changed_on_commit([])
    assert sent == []


def test_a_batch_sends_its_changes_once_at_its_end_and_reports_failures(sent, monkeypatch):
    with batched_changes(progress=True):
        add_paper("2611.00705", "First of the batch")
        add_paper("2611.00706", "Second of the batch")
        assert sent == []
    assert len(sent) == 1 and len(sent[0]["paper_ids"]) == 2 and sent[0]["wait"] and sent[0]["progress"]

    sent.clear()
    with batched_changes(notify=False):  # `import --no-index`
        add_paper("2611.00707", "Left for a later index run")
    assert sent == []

    def broken(paper_ids, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(receivers, "update_index", broken)
    reports: list[str] = []
    with batched_changes(report=reports.append):
        add_paper("2611.00708", "Not indexed")
    assert reports == ["The search index was not updated (OSError: disk full); run `dailypapers index`."]
    assert Paper.objects.filter(arxiv_id="2611.00708").exists()


def test_a_failed_batch_still_sends_what_it_committed(sent):
    """An import that dies half way (a killed reader) keeps its committed papers; a rerun finds them
    unchanged and would never send them, so the failed run does. An interrupt does not."""
    with pytest.raises(RuntimeError), batched_changes():
        add_paper("2611.00711", "Committed before the failure")
        raise RuntimeError("the reader process was killed")
    assert len(sent) == 1 and sent[0]["paper_ids"] == {Paper.objects.get(arxiv_id="2611.00711").pk}

    sent.clear()
    with pytest.raises(KeyboardInterrupt), batched_changes():
        add_paper("2611.00712", "Interrupted")
        raise KeyboardInterrupt
    assert sent == []


def test_a_batch_too_large_to_list_asks_for_every_paper(sent, monkeypatch):
    from dailypapers.papers import signals

    monkeypatch.setattr(signals, "WHOLE_CATALOGUE_FROM", 1)
    with batched_changes():
        add_paper("2611.00709", "One")
        add_paper("2611.00710", "Two")
    assert sent[0]["paper_ids"] is None


def test_large_batches_and_a_busy_index_go_to_a_background_indexer(monkeypatch):
    handed: list = []
    monkeypatch.setattr(receivers, "index_in_background", handed.append)
    monkeypatch.setattr(receivers, "INLINE_PAPERS", 1)
    add_paper("2611.00711", "Small enough for the request")
    pk = Paper.objects.get(arxiv_id="2611.00711").pk
    assert found("Small enough for the request") == ["2611.00711"]  # keywords at once
    assert handed == [frozenset({pk})]  # the vector beside the request
    receivers.index_changed_papers(None, paper_ids=frozenset({pk, pk + 1}))
    assert handed[-1] == frozenset({pk, pk + 1})  # too many for a request: all of it beside

    def busy(paper_ids, lock_timeout=None):
        raise IndexBusy("another writer")

    monkeypatch.setattr(receivers, "index_keywords", busy)
    receivers.index_changed_papers(None, paper_ids=frozenset({pk}))
    assert handed[-1] == frozenset({pk})


def test_the_background_indexer_is_dailypapers_index_for_those_papers(monkeypatch, settings):
    started = []

    class Popen:
        pid = 4242

        def __init__(self, command, env):
            started.append((command, env))

        def poll(self):
            return 0

        def wait(self):
            return 0

    monkeypatch.undo()  # conftest's in-process stand-in for the background indexer goes
    monkeypatch.setattr(receivers.subprocess, "Popen", Popen)
    monkeypatch.setattr(receivers, "_running", [])
    receivers.index_in_background(frozenset({3, 1, 2}))
    receivers.index_in_background(None)
    (first, env), (every, _) = started
    assert first[-4:] == ["index", "--no-progress", "--papers", "1,2,3"]
    assert every[-2:] == ["index", "--no-progress"]
    assert env["DAILYPAPERS_SEARCH_DIR"] == str(settings.SEARCH_DIR)


def test_a_finished_background_indexer_is_reaped_at_once(monkeypatch):
    """No zombie is left in `serve` (whose web server reaps only its own workers) until the next one."""
    real = subprocess.Popen
    monkeypatch.undo()
    monkeypatch.setattr(
        receivers.subprocess, "Popen", lambda command, env: real([sys.executable, "-c", "pass"])
    )
    monkeypatch.setattr(receivers, "_running", [])
    process = receivers.index_in_background(None)
    deadline = time.monotonic() + 20
    while process.returncode is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.returncode == 0
    with pytest.raises(ChildProcessError):
        os.waitpid(process.pid, os.WNOHANG)


def test_index_command_takes_a_list_of_papers():
    with batched_changes(notify=False):
        add_paper("2611.00712", "Listed for the indexer")
        add_paper("2611.00713", "Not listed")
    pk = Paper.objects.get(arxiv_id="2611.00712").pk
    out = StringIO()
    call_command("index", "--no-progress", "--papers", f"{pk},{pk + 100}", stdout=out)
    assert "1 papers searchable by keyword, 1 with embeddings" in out.getvalue()
    assert found("Listed for the indexer") == ["2611.00712"]
