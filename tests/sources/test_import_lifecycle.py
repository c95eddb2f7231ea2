"""`dailypapers import arxiv-snapshot` and its reader process, killed one or the other as an
operator's machine might: neither waits on the other, and a rerun completes the catalogue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from tests.support.factories import catalogue
from tests.support.shared import SHARED, need

# A real month with papers whose categories repeat a code ("68T45, 68T05 68T45, 68T05"), which
# once made every rerun report them updated.
MONTH = SHARED / "data" / "arxiv-snapshot" / "arxiv-2025-09.jsonl.gz"
RECORDS = 3750
PROMPT = 5.0  # seconds within which either side must notice the other's death


@pytest.fixture
def month() -> Path:
    need(MONTH.is_file(), f"the arXiv snapshot month is not at {MONTH}")
    need(Path("/proc/self/task").is_dir(), "finding the reader process needs Linux's /proc")
    return MONTH


@pytest.fixture
def started():
    """The imports a test starts; any still running when it ends (a failed test) are killed."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "import", "arxiv-snapshot", str(MONTH)]
        + ["--no-progress", "--no-index", "--batch-size", "250"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _children(pid: int) -> dict[str, int]:
    """The import's reader and multiprocessing's resource tracker, by their command lines."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue  # gone already
            if b"spawn_main" in command:
                found["reader"] = int(child)
            elif b"resource_tracker" in command:
                found["tracker"] = int(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent has not reaped it yet


def _wait_for(condition, timeout: float = 60.0) -> float:
    """Seconds until `condition()` held (polled every 20 ms); fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


def _running_import(
    env: dict[str, str], started: list[subprocess.Popen], more_than: int
) -> tuple[subprocess.Popen, dict[str, int]]:
    """An import whose reader is running and which has committed a batch beyond `more_than` papers."""
    process = _start(env)
    started.append(process)
    children: dict[str, int] = {}

    def both_started() -> bool:
        assert process.poll() is None, process.communicate()
        children.update(_children(process.pid))
        return len(children) == 2

    _wait_for(both_started)
    _wait_for(lambda: Paper.objects.count() > more_than)
    assert process.poll() is None, process.communicate()
    return process, children


def _import_in_process() -> str:
    out = StringIO()
    call_command(
        "import", "arxiv-snapshot", str(MONTH), "--no-progress", "--no-index", stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def test_a_killed_reader_or_import_ends_the_other_and_a_rerun_completes(month, command_env, started):
    # The reader is killed: the import says so and stops, keeping the batches it committed.
    first, children = _running_import(command_env, started, more_than=0)
    os.kill(children["reader"], signal.SIGKILL)
    noticed = _wait_for(lambda: first.poll() is not None, timeout=30)
    _, err = first.communicate()
    assert first.returncode == 1 and noticed < PROMPT, (noticed, err)
    assert "the reader process was killed by SIGKILL after " in err and "Traceback" not in err
    assert "running the same import again completes it" in err
    _wait_for(lambda: not _alive(children["tracker"]), timeout=PROMPT)
    landed = Paper.objects.count()
    assert 0 < landed < RECORDS

    # The import is killed: its reader and the resource tracker go with it.
    second, children = _running_import(command_env, started, more_than=landed)
    os.kill(second.pid, signal.SIGKILL)
    second.wait()
    gone = _wait_for(lambda: not any(map(_alive, children.values())), timeout=30)
    assert gone < PROMPT, gone
    print(f"\nreader killed: import ended in {noticed:.2f} s; import killed: children gone in {gone:.2f} s")

    # A rerun completes the month; a rerun after that changes nothing, and says so.
    out = _import_in_process()
    assert f"Records: {RECORDS} read, 0 skipped" in out and ", 0 updated, " in out
    resumed = catalogue()
    assert f"Papers: 0 new, 0 updated, {RECORDS} unchanged" in _import_in_process()
    assert catalogue() == resumed

    # What the interrupted imports left, completed, is what one uninterrupted import makes.
    Paper.objects.all().delete()
    assert f"Papers: {RECORDS} new, 0 updated" in _import_in_process()
    assert catalogue() == resumed


def test_a_reader_whose_import_is_gone_stops_at_its_next_batch(month):
    """Where the kernel does not end it with its parent (not Linux, or an import run in a thread),
    the reader's next batch finds the pipe broken, and it exits, quietly."""
    import multiprocessing

    from dailypapers.sources import reader_process

    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    reader = context.Process(target=reader_process.read, args=([MONTH], 10, sending, os.getpid(), False))
    reader.start()
    sending.close()
    receiving.close()  # the import is gone
    started = time.monotonic()
    reader.join(timeout=30)
    assert reader.exitcode == 0 and time.monotonic() - started < PROMPT
