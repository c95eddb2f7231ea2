"""Search under load: 200 clients at once against `dailypapers serve` on the demo, with wrk.

    python bench/search_load.py [--clients 200] [--seconds 15] [--workers 2] [--threads 4]

Needs wrk (Debian: `apt-get install -y wrk`); says so and stops when it is missing.

Starts `dailypapers serve` on a free loopback port in a fresh SQLite home (the demo loads and is
indexed; the bench waits until search answers with embeddings), then runs `wrk -t2 -cN -dS --timeout 2s`
against, in this order in the same run:
  - /static/dailypapers/style.css, the baseline (what this machine serves when no work is done);
  - /papers/search?q=diffusion+models, one query repeated (its ranking is cached per process);
  - the search page with a mix of 200 real queries (the titles of ../shared/data/seed-search-retraining.json
    and word runs from them), chosen at random by a Lua script: most are not cached;
  - /api/papers/search with the same mix.
Each row gives req/s (and as a share of the baseline), latency p50 / p99, wrk's timeouts (2 s), and the
answers by status: searches past SEARCH_CONCURRENCY per process wait SEARCH_QUEUE_WAIT, then get a 503
with Retry-After (search/admission.py), so 503s are the shed load, not errors.
The server's own access log goes to a file under the home, not the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared")) / "data"

# Counts answers by status per wrk thread; done() adds them up and prints one JSON line.
LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%%s": %%d', k, v) end
  io.write("STATUS {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("LAT %%d %%d %%d\n", latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def queries(n: int = 200) -> list[str]:
    titles = [
        " ".join(r["title"].split()) for r in json.loads((SHARED / "seed-search-retraining.json").read_text())
    ]
    rng = random.Random(15)
    out = list(titles)
    while len(out) < n:  # topic-like queries: runs of 2-4 words from a title
        words = rng.choice(titles).split()
        k = rng.randint(2, 4)
        start = rng.randint(0, max(0, len(words) - k))
        out.append(" ".join(words[start : start + k]))
    return out[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_manifests: list[tuple[float, str]] = []


def _index_settled(home: Path) -> bool:
    """The indexer beside the server is done: its manifest unchanged for 20 s (each write changes it,
    and a search measured while it embeds would measure the indexer too)."""
    try:
        text = (home / "search" / "current.json").read_text()
    except OSError:
        return False
    if not _manifests or _manifests[-1][1] != text:
        _manifests.append((time.monotonic(), text))
    return time.monotonic() - _manifests[-1][0] > 20


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wrk(base: str, paths: list[str], clients: int, seconds: int, work: Path) -> dict:
    paths_file = work / f"paths-{abs(hash(tuple(paths)))}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = work / "count.lua"
    script.write_text(LUA % {"paths": paths_file})
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "2s",
            "-s",
            str(script),
            base + paths[0],
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    timeouts = re.search(r"timeout (\d+)", out)
    p50, p99, top = (int(x) / 1000 for x in re.search(r"LAT (\d+) (\d+) (\d+)", out).groups())
    statuses = json.loads(re.search(r"STATUS (\{.*\})", out).group(1))
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "max_ms": top,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("This benchmark needs wrk: apt-get install -y wrk (Debian/Ubuntu).", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="dailypapers-searchload-"))
    port = free_port()
    env = {
        **os.environ,
        "DAILYPAPERS_HOME": str(home),
        "DAILYPAPERS_API_READ_RATE": "0/m",  # measure search, not the API's per-client limit
        "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.pop("DATABASE_URL", None)
    log = open(home / "serve.log", "w")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dailypapers",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while True:  # the demo loaded and embedded: search answers with both halves
            time.sleep(2)
            if server.poll() is not None:
                print((home / "serve.log").read_text()[-3000:], file=sys.stderr)
                return 1
            try:
                status, html = get(base + "/papers/search?q=zzzz+warmup+" + str(int(time.monotonic())))
            except OSError:
                continue
            if status == 200 and "semantic search is still indexing" not in html and _index_settled(home):
                break
            if time.monotonic() > deadline:
                print("the demo was not indexed within 15 minutes", file=sys.stderr)
                return 1
        mix = queries()
        quote = urllib.parse.quote_plus
        runs = {
            "/static/dailypapers/style.css (baseline)": ["/static/dailypapers/style.css"],
            "/papers/search?q=diffusion+models": ["/papers/search?q=diffusion+models"],
            "/papers/search, 200 queries mixed": [f"/papers/search?q={quote(q)}" for q in mix],
            "/api/papers/search, 200 queries mixed": [f"/api/papers/search?q={quote(q)}" for q in mix],
        }
        print(
            f"CPU cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; "
            f"serve --workers {args.workers} --threads {args.threads}; "
            f"wrk -t2 -c{args.clients} -d{args.seconds}s"
        )
        rows = {}
        for name, paths in runs.items():
            rows[name] = r = wrk(base, paths, args.clients, args.seconds, home)
            print(json.dumps({name: r}), flush=True)
        baseline = rows["/static/dailypapers/style.css (baseline)"]["rps"]
        print("\n| URL | req/s | of baseline | p50 | p99 | wrk timeouts (2 s) | answers |")
        print("|---|---|---|---|---|---|---|")
        for name, r in rows.items():
            answers = ", ".join(f"{n:,} × {s}" for s, n in sorted(r["statuses"].items()))
            print(
                f"| {name} | {r['rps']:,.0f} | {r['rps'] / baseline:.1%} | {r['p50_ms']:.0f} ms | "
                f"{r['p99_ms']:.0f} ms | {r['timeouts']} | {answers} |"
            )
        errors = [
            line for line in (home / "serve.log").read_text().splitlines() if " - - [" not in line
        ]  # what the server said besides its access log
        print("\nserver log, access lines left out (last 15):\n" + "\n".join(errors[-15:]))
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
