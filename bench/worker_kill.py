"""Benchmark: what a reader sees when a web worker is killed (`kill -9`) under load.

    python bench/worker_kill.py [--clients 50] [--seconds 20] [--kills 3] [--database-url URL]

Starts the site the README's way (`dailypapers serve`, 2 workers x 4 threads, the demo in a fresh
home; SQLite unless --database-url names an empty PostgreSQL database), has N client threads read
the home page, a paper page and `/api/daily_papers` in a loop, and SIGKILLs one web worker at
evenly spaced moments. A request that meets a kept-alive connection the dead worker held is sent
again once on a new connection, as browsers and urllib3 do. Prints the requests answered and those
that failed even so (connection reset, no answer, or any 5xx) after each kill, how long until the
master forked the replacement, and a baseline window with no kill from the same run to compare.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PATHS = ["/", "/papers/2606.19195", "/api/daily_papers?date=2026-06-19&limit=10"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """Web workers of `dailypapers serve`: its children, but for the workers it starts beside them."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[0] is the state: a child that ended and is not yet reaped ("Z") is no worker.
            if int(fields[1]) == pid and fields[0] != "Z" and _is_worker(int(entry.name)):
                found.append(int(entry.name))
    return sorted(found)


def _is_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    # The search indexer and the recommendations worker the site may start beside its workers.
    return b" index" not in cmdline and b" recommend" not in cmdline


class Load:
    def __init__(self, port: int, clients: int) -> None:
        self.port, self.clients = port, clients
        self.events: list[tuple[float, bool]] = []  # (time, ok)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.retried = 0

    def run(self, number: int) -> None:
        conn = None
        i = number
        while not self.stop.is_set():
            path = PATHS[i % len(PATHS)]
            i += 1
            reused = conn is not None
            ok, conn = self.get(conn, path, number)
            if not ok and reused:
                # A kept-alive connection the dead worker held: browsers (and urllib3) send an
                # idempotent request again on a new connection, once, and so do we.
                with self.lock:
                    self.retried += 1
                ok, conn = self.get(None, path, number)
            with self.lock:
                self.events.append((time.monotonic(), ok))

    def get(self, conn, path: str, number: int):
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", path, headers={"X-Forwarded-For": f"10.0.0.{number}"})
            response = conn.getresponse()
            response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            return response.status < 500, conn
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            return False, None

    def counts(self, start: float, end: float) -> tuple[int, int]:
        with self.lock:
            window = [ok for t, ok in self.events if start <= t < end]
        return len(window), window.count(False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DAILYPAPERS_HOME=home, DAILYPAPERS_SEARCH_SEMANTIC="0", DAILYPAPERS_API_READ_RATE="")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("the site did not start")
        master = server.pid  # `dailypapers serve` is granian's main process
        load = Load(port, args.clients)
        threads = [threading.Thread(target=load.run, args=(n,), daemon=True) for n in range(args.clients)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        gap = args.seconds / (args.kills + 1)
        print(f"{args.clients} clients for {args.seconds:.0f} s, {args.kills} worker kills, 2 workers")
        time.sleep(gap)
        baseline = load.counts(start, start + gap)
        rows = []
        for _ in range(args.kills):
            workers = children(master)
            victim = workers[0]
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            # The replacement: a new child of the master that answers (granian forks it at once).
            while time.monotonic() - killed_at < gap and set(children(master)) <= set(workers):
                time.sleep(0.01)
            replaced = time.monotonic() - killed_at
            time.sleep(max(0.0, gap - (time.monotonic() - killed_at)))
            answered, failed = load.counts(killed_at - 0.05, killed_at + gap)
            rows.append((answered, failed, replaced))
        load.stop.set()
        for thread in threads:
            thread.join(timeout=15)
        total, failed_total = load.counts(start, time.monotonic())
        print(f"  baseline window (no kill): {baseline[0]} requests, {baseline[1]} failed")
        for number, (answered, failed, replaced) in enumerate(rows, start=1):
            print(
                f"  kill {number}: {answered} requests in the next {gap:.1f} s, {failed} failed; "
                f"replacement worker forked after {replaced * 1000:.0f} ms"
            )
        per_kill = sum(r[1] for r in rows) / len(rows) if rows else 0
        print(f"  total: {total} requests, {failed_total} failed; {per_kill:.1f} failed per worker kill")
        print(f"  ({load.retried} requests met a dropped kept-alive connection and were sent again once)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
