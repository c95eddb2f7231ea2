"""`dailypapers sync`: every source against local replays of arXiv, failures that never stop the rest."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import AutoListRule, Listing, Paper
from dailypapers.sources.models import HarvestState
from tests.support.recorded_arxiv import ALL_KEPT, CATEGORIES, RSS_PATH
from tests.support.replay import Reply


def sync(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sync", "--categories", CATEGORIES, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_one_pass_fills_the_catalogue_from_every_source_and_a_rerun_adds_nothing(arxiv):
    out, err = sync()
    assert err == ""
    lines = out.splitlines()
    assert any(line.startswith("rss: ") and " new, 0 updated" in line for line in lines)
    assert any(line.startswith("oai: 4 new") for line in lines)
    assert Paper.objects.filter(arxiv_id__in=ALL_KEPT).count() == 4  # from OAI
    assert Paper.objects.filter(arxiv_id="2411.18126").exists()  # a cs.CL paper from the RSS day
    assert HarvestState.objects.filter(next_token="").count() == HarvestState.objects.count() == 4  # 4 sets

    out, _ = sync()
    assert "rss: 0 new, 0 updated" in out and "oai: 0 new, 0 updated" in out


@pytest.mark.django_db
def test_a_failing_source_is_reported_and_the_others_still_run(arxiv):
    arxiv.route(RSS_PATH, lambda request: Reply("busy", 503, {"Content-Type": "text/plain"}))
    with pytest.raises(CommandError, match="1 source\\(s\\) failed: rss"):
        out, err = StringIO(), StringIO()
        call_command("sync", "--categories", CATEGORIES, stdout=out, stderr=err)
    assert "rss: failed: " in err.getvalue() and "HTTP 503; gave up after 2 attempts" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert Paper.objects.filter(arxiv_id__in=ALL_KEPT).count() == 4


@pytest.mark.django_db
def test_new_papers_matching_a_rule_are_listed_on_their_announcement_day(arxiv):
    AutoListRule.objects.create(name="Language", categories="cs.CL")
    sync("--source", "rss")
    listed = Listing.objects.filter(source="auto")
    assert listed.exists() and set(listed.values_list("day", flat=True)) == {
        Paper.objects.first().metadata_as_of.date()
    }
    assert all(listing.paper.categories.filter(code="cs.CL").exists() for listing in listed)
    assert not Listing.objects.filter(
        source="auto", paper__version__gt=1
    ).exists()  # replacements are not new


def test_the_worker_survives_failures_and_keeps_going(arxiv, command_env):
    calls = []

    def flaky(request):
        calls.append(time.monotonic())
        return Reply("down", 500, {"Content-Type": "text/plain"})

    arxiv.route(RSS_PATH, flaky)
    env = {**command_env, "DAILYPAPERS_ARXIV_RSS_URL": arxiv.url + "/rss/",
           "DAILYPAPERS_ARXIV_OAI_URL": arxiv.url + "/oai", "DAILYPAPERS_SOURCE_RETRIES": "0",
           "DAILYPAPERS_SEARCH_SEMANTIC": "0"}  # fmt: skip
    command = [
        sys.executable,
        "-m",
        "dailypapers",
        "sync",
        "--loop",
        "--interval",
        "0.3",
        "--categories",
        CATEGORIES,
    ]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(calls) < 3 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert worker.poll() is None, "the worker stopped"
        assert len(calls) >= 3
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
    # Backing off: each wait after a failed try is longer than the one before (as the worker
    # planned them; measured gaps would depend on the machine's load).
    waits = [float(w) for w in re.findall(r"sync rss: next try in ([\d.]+) s", output)]
    assert len(waits) >= 2 and waits[0] < waits[1], output
    assert "rss: failed: " in output and "oai: 4 new" in output and "Stopped." in output
    assert "Traceback" not in output
    assert Paper.objects.filter(arxiv_id__in=ALL_KEPT).count() == 4
