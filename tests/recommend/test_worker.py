"""`dailypapers recommend`: only the members whose signals changed are trained, each by one worker
(the claim on Taste.claimed_until), and a worker killed mid-pass loses nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.recommend.models import Save, Taste
from dailypapers.recommend.ranking import is_due, retrain, train_due
from tests.recommend import corpus
from tests.recommend.corpus import arxiv_id
from tests.support.factories import add_user


@pytest.fixture
def papers(db):
    return corpus.load()


def _taste(user) -> Taste:
    return Taste.objects.get(user=user)


@pytest.mark.django_db
def test_a_pass_trains_only_the_members_whose_signals_changed(papers, capsys):
    ada, bob, cy = add_user("ada"), add_user("bob"), add_user("cy")
    for user in (ada, bob, cy):
        Save.add(user, papers[arxiv_id("protein", 3)])
    assert [u.pk for u in (ada, bob, cy) if is_due(_taste(u))] == [ada.pk, bob.pk, cy.pk]
    # Another worker holds cy.
    assert _taste(cy).claim(dt.timedelta(minutes=5))
    result = train_due()
    assert sorted(result.trained) == [ada.pk, bob.pk]
    assert _taste(ada).model_kind and _taste(ada).model and not is_due(_taste(ada))
    assert _taste(ada).claimed_until is None
    assert is_due(_taste(cy))
    # Nothing changed since: the next pass trains no one (cy is still held).
    trained_at = _taste(ada).trained_at
    assert train_due().trained == []
    assert _taste(ada).trained_at == trained_at
    # A new signal makes ada due again; a held claim that ran out (its worker died) frees cy.
    Save.add(ada, papers[arxiv_id("speech", 3)])
    Taste.objects.filter(user=cy).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    call_command("recommend", "-v", "2")
    out = capsys.readouterr().out
    assert "trained ada" in out and "trained cy" in out and "trained bob" not in out
    assert "2 trained, 0 held by another worker, 0 failed" in out


@pytest.mark.django_db
def test_a_member_with_nothing_to_learn_from_is_stored_without_a_model(papers):
    ada = add_user("ada")
    Save.add(ada, papers[arxiv_id("protein", 3)])
    train_due()
    assert _taste(ada).model
    Save.remove(ada, papers[arxiv_id("protein", 3)])
    assert train_due().trained == [ada.pk]
    taste = _taste(ada)
    assert taste.model is None and taste.model_kind == "" and not is_due(taste)


@pytest.mark.django_db
def test_a_member_trained_by_another_worker_since_it_was_read_is_not_trained_again(papers):
    # The race CI met: this worker read the taste (due), another claimed, trained, stored and let
    # its claim go, and the claim, free again, must not make this worker train the member twice.
    ada = add_user("ada")
    Save.add(ada, papers[arxiv_id("protein", 3)])
    read_earlier = _taste(ada)
    assert retrain(_taste(ada))  # the other worker
    trained_at = _taste(ada).trained_at
    assert not retrain(read_earlier)
    taste = _taste(ada)
    assert taste.trained_at == trained_at and taste.claimed_until is None
    # A signal given since makes the member due again for the same stale copy.
    Save.add(ada, papers[arxiv_id("speech", 3)])
    assert retrain(read_earlier) and not is_due(_taste(ada))


# --- real processes ------------------------------------------------------------------------------------

MEMBERS = 12


@pytest.fixture
def due_members(transactional_db):
    papers = corpus.load()
    members = []
    for i in range(MEMBERS):
        user = add_user(f"member{i:02d}")
        Save.add(user, papers[arxiv_id(list(corpus.TOPICS)[i % 4], 3 + i % 2)])
        members.append(user)
    return members


def _worker(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "recommend", "-v", "2", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _trained(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("trained ")]


def test_two_workers_train_each_member_exactly_once(command_env, due_members):
    # Each worker holds its claim a moment before training, so the two run side by side.
    first, second = _worker(command_env, "--pause", "0.1"), _worker(command_env, "--pause", "0.1")
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    per_member = Counter(_trained(outputs[0][0]) + _trained(outputs[1][0]))
    assert set(per_member) == {user.username for user in due_members}
    assert set(per_member.values()) == {1}
    assert _trained(outputs[0][0]) and _trained(outputs[1][0])  # both did some of the work
    assert not [t for t in Taste.objects.all() if is_due(t)]


def test_a_killed_worker_leaves_the_rest_due_and_its_claim_runs_out(command_env, due_members):
    env = {**command_env, "DAILYPAPERS_RECOMMEND_CLAIM_TIMEOUT": "2"}
    worker = _worker(env, "--pause", "0.2")
    done = 0
    for line in worker.stdout:
        done += line.startswith("trained ")
        if done == 2:
            break
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    trained = Taste.objects.filter(trained_at__isnull=False).count()
    held = Taste.objects.filter(claimed_until__gt=timezone.now()).count()
    assert 2 <= trained < MEMBERS and held <= 1
    # The next worker trains everyone left, the member held by the dead one once its claim runs out.
    rerun = subprocess.run(
        [sys.executable, "-m", "dailypapers", "recommend", "-v", "2"], env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    left = Taste.objects.filter(trained_at__isnull=True)
    assert left.count() == held
    if held:
        Taste.objects.update(claimed_until=timezone.now() - dt.timedelta(seconds=1))  # as after the wait
        call_command("recommend")
    assert not [t for t in Taste.objects.all() if is_due(t)]
    assert Counter(_trained(rerun.stdout)).most_common(1)[0][1] == 1
