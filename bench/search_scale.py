"""Search at scale: build 100k- and 1M-paper indexes from real arXiv abstracts and time hybrid queries.

    python bench/search_scale.py                  # 100k and 1M
    python bench/search_scale.py --sizes 100000   # one size
    python bench/search_scale.py --embed 5000     # embed more real abstracts (default 3000)
    python bench/search_scale.py --memory --sizes 1000000   # vectors only: recall and workers' PSS

--memory builds only the vector store (the same vectors as below; the graph built by the site's code,
`VectorStore.finish_rows`, as `dailypapers index --rebuild` does) in a search folder laid out as the
site's (an empty keyword index beside it), and reports, per size: the graph's build time (wall and CPU
seconds); recall@10 of the graph against an exact scan for 200 real query embeddings (and of an hnswlib
graph with the same M / ef, when hnswlib is installed, for comparison); and the memory (PSS, from
/proc/<pid>/smaps_rollup) summed over
  - 2 and 4 server-like processes that each open the store as a server worker's Engine does and answer
    those 200 queries (neighbours, then the exact cosines of 100 candidates), and
  - the workers of a real `dailypapers serve --workers 2` and `--workers 4` on a fresh home (SQLite,
    no papers) whose DAILYPAPERS_SEARCH_DIR is that folder: 200 searches per worker through the search
    page (one client per worker at a time; more if a worker has not searched yet), each worker opening
    the store on its first search, as on the site. The master process is reported apart.
PSS divides each shared page among the processes mapping it, so the sum over the workers is what the
node really spends; the graph file's own share is reported too (from /proc/<pid>/smaps). With --keep
the store stays under --cache, and --reuse measures it again without rebuilding.

Documents: the real papers of ../shared/data/arxiv-snapshot (74,728), replicated under new ids to reach
each size (so the index holds realistic term statistics, with each text ~N/74,728 times).

Vectors: embedding a million abstracts on a 2-core machine takes days, so the script embeds `--embed`
real abstracts with the bundled model and gives every other document one of those vectors plus Gaussian
noise (sigma 0.02 per dimension, then re-normalised), a cloud of realistic vectors around real ones.
The graph search cost depends on the number and dimension of vectors, not on what they mean; its
recall does not: hundreds of near-identical copies of each real vector crowd the graph, so recall here is
far below what real embeddings get (bench/eval_search.py --graph-check measures that on SciFact).
Embeddings are cached under --cache (outside the repository) between runs.

Each index is built with the site's own Engine code (search/engine.py). Queries run in a fresh
subprocess that only opens the index, so RSS is what a server process would hold: real titles,
title fragments, typo'd titles and short topic queries, each timed end to end including the query
embedding (one onnxruntime thread, running beside BM25 as on the site), BM25, nearest neighbours,
fusion and the exact-title check.
The database fetch of the page's papers is not included (the same for any index size).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
SNAPSHOT = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared")) / "data" / "arxiv-snapshot"

from dailypapers.search.embedding import BUNDLED_MODEL_DIR, Embedder, paper_text  # noqa: E402
from dailypapers.search.engine import Engine, SigLog  # noqa: E402
from dailypapers.search.lexical import Doc  # noqa: E402

HNSW_THRESHOLD = 20_000  # the site's default (settings.SEARCH_HNSW_THRESHOLD)


def read_snapshot() -> list[dict]:
    papers = []
    for path in sorted(SNAPSHOT.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                papers.append(
                    {
                        "title": " ".join(r["title"].split()),
                        "abstract": " ".join((r.get("abstract") or "").split()),
                        "authors": [
                            a.strip() for a in (r.get("authors") or "").replace(" and ", ", ").split(",")
                        ][:20],
                        "categories": (r.get("categories") or "").split(),
                        "day": _day(r.get("update_date")),
                    }
                )
    return papers


def _day(text: str | None) -> int | None:
    if not text:
        return None
    import datetime as dt

    try:
        return (dt.date.fromisoformat(text[:10]) - dt.date(1970, 1, 1)).days
    except ValueError:
        return None


def real_vectors(papers: list[dict], n: int, cache: Path, embedder: Embedder) -> np.ndarray:
    path = cache / f"snapshot-vectors-{n}.npy"
    if path.exists():
        return np.load(path)
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    vecs = embedder.embed([paper_text(p["title"], p["abstract"]) for p in papers[:n]], batch_size=32)
    print(
        f"embedded {n} real abstracts in {time.perf_counter() - t0:.0f} s "
        f"({n / (time.perf_counter() - t0):.1f}/s)"
    )
    np.save(path, vecs)
    return vecs


def vectors_for(ids: np.ndarray, base: np.ndarray, seed: int) -> np.ndarray:
    """Real vectors for the first len(base) ids, noisy copies of them for the rest."""
    rng = np.random.default_rng(seed)
    out = base[ids % len(base)].copy()
    noisy = ids >= len(base)
    if noisy.any():
        out[noisy] += rng.normal(0, 0.02, size=(int(noisy.sum()), base.shape[1])).astype(np.float32)
        out[noisy] /= np.linalg.norm(out[noisy], axis=1, keepdims=True)
    return out


def build(root: Path, papers: list[dict], size: int, base: np.ndarray) -> dict:
    engine = Engine(root, dim=base.shape[1], model="bench", hnsw_threshold=HNSW_THRESHOLD)
    staging = engine.start_rebuild()
    timings = {}
    t0 = time.perf_counter()
    chunk = 50_000
    for start in range(0, size, chunk):
        docs = []
        for i in range(start, min(size, start + chunk)):
            p = papers[i % len(papers)]
            docs.append(
                Doc(i + 1, p["title"], p["abstract"], p["authors"], p["categories"], p["day"], i % 3 == 0)
            )
        staging.write_docs(docs, {d.id: 1 for d in docs}, threads=2)
    timings["lexical_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, size, chunk):
        ids = np.arange(start, min(size, start + chunk), dtype=np.int64)
        staging.vectors.append_rows(ids + 1, vectors_for(ids, base, seed=start))
        SigLog(staging.gen_path, "vecsig").append(dict.fromkeys((ids + 1).tolist(), 1))
    timings["vectors_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    staging.vectors.finish_rows()  # builds the hnsw graph at HNSW_THRESHOLD and above
    timings["graph_s"] = time.perf_counter() - t0
    staging.manifest["rows"] = staging.vectors.rows
    engine.finish_rebuild(staging)
    timings["build_s"] = timings["lexical_s"] + timings["vectors_s"] + timings["graph_s"]
    timings["size_mb"] = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6
    timings["lexical_mb"] = sum(f.stat().st_size for f in root.rglob("lexical/*") if f.is_file()) / 1e6
    timings["graph"] = "hnsw" if (engine.gen_path / "graph.usearch").exists() else "exact"
    return timings


def make_queries(papers: list[dict], n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    sample = rng.sample(papers, n)
    queries = []
    for i, p in enumerate(sample):
        words = p["title"].split()
        kind = i % 4
        if kind == 0:
            queries.append(p["title"])  # a whole title
        elif kind == 1:
            queries.append(" ".join(words[: max(2, len(words) // 2)]).lower())  # a title fragment
        elif kind == 2:
            typo = [w[:2] + w[3:] if len(w) > 6 else w for w in words]  # a title with typos
            queries.append(" ".join(typo))
        else:
            abstract = p["abstract"].split()
            start = rng.randrange(max(1, len(abstract) - 6))
            queries.append(" ".join(abstract[start : start + rng.randint(2, 5)]))  # a topic query
    return queries


def serve(root: Path, queries_path: Path) -> None:
    """Subprocess: open the index as a server process would, time every query, print JSON."""
    queries = json.loads(queries_path.read_text())
    embedder = Embedder(BUNDLED_MODEL_DIR, threads=1)
    t0 = time.perf_counter()
    engine = Engine(root, dim=embedder.dim, model="bench", hnsw_threshold=HNSW_THRESHOLD)
    open_s = time.perf_counter() - t0
    for q in queries[:10]:  # warm-up
        engine.search(q, partial(embedder.embed_query, q), None, depth=40)
    total, embed_only, lexical_only, counted = [], [], [], []
    inexact = 0
    for q in queries:
        t = time.perf_counter()
        # As the site does: the embedding runs on a second thread while BM25 runs (search/pool.py).
        engine.search(q, partial(embedder.embed_query, q), None, depth=40)
        engine.lexical.exact_title(q)
        total.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        embedder.embed_query(q)
        embed_only.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        inexact += not engine.lexical.search(q, 40).exact
        lexical_only.append((time.perf_counter() - t) * 1000)
        # Baseline in the same process: the same BM25 query counting every match exactly.
        t = time.perf_counter()
        sr = engine.lexical.searcher
        result = sr.search(engine.lexical.build_query(q), 40, count=True)
        sr.fast_field_values("id", [addr for _, addr in result.hits])
        counted.append((time.perf_counter() - t) * 1000)
    rss = _status("VmRSS")
    served = json.dumps(
        {
            "open_s": open_s,
            "p50_ms": statistics.median(total),
            "p99_ms": float(np.percentile(total, 99)),
            "embed_p50_ms": statistics.median(embed_only),
            "lexical_p50_ms": statistics.median(lexical_only),
            "lexical_p99_ms": float(np.percentile(lexical_only, 99)),
            "counted_p50_ms": statistics.median(counted),
            "counted_p99_ms": float(np.percentile(counted, 99)),
            "inexact_totals": inexact,
            "rss_mb": rss / 1024,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "vectors": len(engine.vectors),
            "docs": engine.lexical.num_docs(),
            "load_average": os.getloadavg()[0],
        }
    )
    (root / "served.json").write_text(served)
    print(served)


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _pss_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of a process in MB, from /proc/<pid>/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith(":"):
            fields[parts[0][:-1]] = int(parts[1])
    return fields["Pss"] / 1024, fields["Rss"] / 1024


def _graph_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) in MB of the graph file's mappings in a process, from /proc/<pid>/smaps."""
    pss = rss = 0
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and not parts[0].endswith(":"):  # a mapping's header line
            inside = line.endswith("/graph.usearch")
        elif inside and parts[0] == "Pss:":
            pss += int(parts[1])
        elif inside and parts[0] == "Rss:":
            rss += int(parts[1])
    return pss / 1024, rss / 1024


def _maps_graph(pid: int) -> bool:
    try:
        return "/graph.usearch" in Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:
        return False


def memory_worker(root: Path, qfile: Path, kind: str) -> None:
    """One server-like worker: open the store, answer the queries (neighbours and the exact cosines of
    100 candidates, as Engine.search does), say "ready" and wait, holding what it loaded."""
    from dailypapers.search.dense import HNSW_EF_SEARCH

    manifest = json.loads((root / "current.json").read_text())
    queries = np.load(qfile)
    if kind == "hnswlib":
        import hnswlib

        index = hnswlib.Index(space="ip", dim=manifest["dim"])
        index.load_index(str(root / "hnswlib.bin"))  # read into this process: what each worker used to hold
        index.set_ef(HNSW_EF_SEARCH)
        for q in queries:
            labels, _ = index.knn_query(q.reshape(1, -1), k=100)
            index.get_items(labels[0])
    else:
        # The vector store as a server worker's Engine opens it (its keyword index is empty here).
        store = Engine(
            root, dim=manifest["dim"], model=manifest["model"], hnsw_threshold=HNSW_THRESHOLD
        ).vectors
        assert store is not None and store.hnsw is not None
        for q in queries:
            store.scores(q, [i for i, _ in store.search(q, 100)])
    print("ready", flush=True)
    sys.stdin.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return sorted(out)


def _search(base: str, q: str) -> int:
    """GET the search page for `q` as a visitor would; a busy answer (503) is asked again."""
    url = f"{base}/papers/search?{urllib.parse.urlencode({'q': q})}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=120) as answer:
                answer.read()
                return answer.status
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                return exc.code
        time.sleep(0.05)
    return 503


def serve_memory(root: Path, workers: int, texts: list[str], cache: Path) -> dict:
    """Start `dailypapers serve --workers N` on a fresh home (SQLite, no papers) whose search folder is
    `root`, search with real queries until every worker has opened the vector store (each opens it on
    its first search, as on the site), and measure the PSS of its processes."""
    home = Path(tempfile.mkdtemp(prefix="serve-home-", dir=cache))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("DAILYPAPERS_")}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SEARCH_DIR=str(root),
        DAILYPAPERS_SEARCH_HNSW_THRESHOLD=str(HNSW_THRESHOLD),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")])),
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dailypapers", "serve", "--no-demo", "--workers", str(workers)]
    with open(home / "serve.log", "w") as log:
        server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 300
        while True:  # up once the workers answer (the first start migrates the database)
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: see {home / 'serve.log'}")
            try:
                with urllib.request.urlopen(f"{base}/", timeout=10):
                    pass
            except OSError:
                time.sleep(0.5)
                continue
            if len(_children(server.pid)) == workers:
                break
        pids = _children(server.pid)
        # As many queries as the server-like workers answer together, `workers` clients at a time,
        # then more until each worker has searched (the kernel hands connections out unevenly).
        sent = 200 * workers
        statuses: dict[int, int] = {}
        with ThreadPoolExecutor(workers) as pool:
            batch = texts[:sent]
            while True:
                for status in pool.map(partial(_search, base), batch):
                    statuses[status] = statuses.get(status, 0) + 1
                if all(_maps_graph(pid) for pid in pids) or sent >= len(texts):
                    break
                batch, sent = texts[sent : sent + 20], sent + 20
        if not all(_maps_graph(pid) for pid in pids):
            raise RuntimeError(f"a serve worker never opened the graph after {sent} searches")
        per_worker = [(*_pss_mb(pid), *_graph_mb(pid)) for pid in pids]
        master = _pss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(60)
        shutil.rmtree(home, ignore_errors=True)
    return {
        "pss": sum(w[0] for w in per_worker),
        "rss": sum(w[1] for w in per_worker),
        "per_worker_pss": [w[0] for w in per_worker],
        "graph_pss": sum(w[2] for w in per_worker),
        "graph_rss": [w[3] for w in per_worker],
        "master_pss": master[0],
        "searches": sent,
        "statuses": statuses,
    }


def memory(args, base: np.ndarray, texts: list[str], queries: np.ndarray, model: str) -> int:
    from dailypapers.search.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    qfile = args.cache / "query-vectors.npy"
    np.save(qfile, queries)
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        root = args.cache / f"dense-{size}"
        # The store is a search folder as the site lays it out (an empty keyword index beside the
        # vectors), so `dailypapers serve` can open it.
        if args.reuse and (root / "built.json").exists():
            print(f"\n== {size:,} vectors: reusing {root}", flush=True)
            built = json.loads((root / "built.json").read_text())
            engine = Engine(root, dim=base.shape[1], model=model, hnsw_threshold=HNSW_THRESHOLD)
        else:
            shutil.rmtree(root, ignore_errors=True)
            print(f"\n== {size:,} vectors", flush=True)
            engine = Engine(root, dim=base.shape[1], model=model, hnsw_threshold=HNSW_THRESHOLD)
            staging = engine.start_rebuild()
            for start in range(0, size, 100_000):
                ids = np.arange(start, min(size, start + 100_000), dtype=np.int64)
                staging.vectors.append_rows(ids, vectors_for(ids, base, seed=start))
            t0, cpu0 = time.perf_counter(), time.process_time()
            staging.vectors.finish_rows()  # builds the usearch graph, as `dailypapers index --rebuild`
            built = {
                "build_s": time.perf_counter() - t0,
                # CPU seconds of all the build's threads: on a shared machine the wall time is mostly
                # waiting for a core.
                "build_cpu_s": time.process_time() - cpu0,
                "load_average": os.getloadavg()[0],
            }
            staging.manifest["rows"] = staging.vectors.rows
            engine.finish_rebuild(staging)
            (root / "built.json").write_text(json.dumps(built))
            print(
                f"graph built in {built['build_s']:.0f} s, {built['build_cpu_s']:.0f} CPU s "
                f"(load average {built['load_average']:.1f})"
            )
        store = engine.vectors  # a reader's: the graph mapped
        assert store is not None and store.hnsw is not None, "no graph: is the size under the threshold?"
        store_vectors = store.vectors  # ids are row numbers here
        # Exact top 10 by a full scan, in chunks.
        sims = np.full((len(queries), 10), -np.inf, dtype=np.float32)
        best = np.zeros((len(queries), 10), dtype=np.int64)
        for start in range(0, size, 100_000):
            block = np.asarray(store_vectors[start : start + 100_000]) @ queries.T  # rows × queries
            both = np.concatenate([sims, block.T], axis=1)
            both_ids = np.concatenate(
                [best, np.broadcast_to(np.arange(start, start + len(block)), both[:, 10:].shape)], axis=1
            )
            top = np.argsort(-both, axis=1)[:, :10]
            sims, best = np.take_along_axis(both, top, 1), np.take_along_axis(both_ids, top, 1)
        truth = [set(r) for r in best.tolist()]
        tenth = sims[:, 9]

        def recall(found: list[list[int]], truth=truth, tenth=tenth, vectors=store_vectors) -> str:
            """Recall@10 of the ids, then as ann-benchmarks counts it: a result is right when its
            cosine is within 1e-3 of the 10th best's or above (the noisy copies of one real vector are
            near-ties that no graph orders exactly)."""
            ids = sum(len(set(f) & t) for f, t in zip(found, truth, strict=True)) / (10 * len(truth))
            near = 0
            for f, q, t in zip(found, queries, tenth, strict=True):
                near += int((np.asarray(vectors[np.asarray(f)]) @ q >= t - 1e-3).sum())
            return f"{ids:.3f} / {near / (10 * len(truth)):.3f}"

        row = {
            "size": size,
            "build_s": built["build_s"],
            "build_cpu_s": built.get("build_cpu_s", float("nan")),
            "recall": recall([[i for i, _ in store.search(q, 10)] for q in queries]),
            "graph_mb": store.hnsw_path.stat().st_size / 1e6,
        }
        print(f"recall@10 vs exact (ids / within 1e-3): {row['recall']}", flush=True)
        kinds = ["usearch"]
        try:
            import hnswlib

            t0 = time.perf_counter()
            index = hnswlib.Index(space="ip", dim=base.shape[1])
            index.init_index(max_elements=size, ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M)
            index.set_num_threads(os.cpu_count() or 1)
            for start in range(0, size, 100_000):
                ids = np.arange(start, min(size, start + 100_000))
                index.add_items(np.asarray(store_vectors[start : start + len(ids)]), ids)
            row["hnswlib_build_s"] = time.perf_counter() - t0
            index.set_ef(HNSW_EF_SEARCH)
            row["hnswlib_recall"] = recall(index.knn_query(queries, k=10)[0].tolist())
            index.save_index(str(root / "hnswlib.bin"))
            del index
            kinds.append("hnswlib")
        except ImportError:
            pass
        del store, store_vectors, engine
        for kind in kinds:
            for workers in (2, 4):
                procs = [
                    subprocess.Popen(
                        [
                            *(sys.executable, __file__, "--memory-worker", str(root)),
                            *("--query-file", str(qfile), "--kind", kind),
                            *("--hnsw-threshold", str(HNSW_THRESHOLD)),
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    for _ in range(workers)
                ]
                for p in procs:
                    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
                pss, rss = map(sum, zip(*(_pss_mb(p.pid) for p in procs), strict=True))
                graph = [_graph_mb(p.pid) for p in procs]
                for p in procs:
                    p.communicate("")
                row[f"{kind}_{workers}"] = (pss, rss)
                print(
                    f"{kind}, {workers} server-like workers: PSS {pss:,.0f} MB in all "
                    f"(RSS summed {rss:,.0f} MB"
                    + (
                        f"; graph file resident in each: {graph[0][1]:,.0f} MB)" if kind == "usearch" else ")"
                    ),
                    flush=True,
                )
        for workers in (2, 4):
            served = serve_memory(root, workers, texts, args.cache)
            row[f"serve_{workers}"] = served
            print(
                f"dailypapers serve, {workers} workers: PSS {served['pss']:,.0f} MB in all "
                f"(each {', '.join(f'{p:,.0f}' for p in served['per_worker_pss'])} MB; "
                f"graph file {served['graph_pss']:,.0f} MB of that, resident in each "
                f"{', '.join(f'{r:,.0f}' for r in served['graph_rss'])} MB); "
                f"master {served['master_pss']:,.0f} MB; {served['searches']} searches, "
                f"answers {served['statuses']}",
                flush=True,
            )
        print(json.dumps(row), flush=True)
        rows.append(row)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        "\n| vectors | graph | build | graph file | recall@10 vs exact (ids / within 1e-3) "
        "| PSS, 2 workers | PSS, 4 workers |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        u2, u4 = r["usearch_2"][0], r["usearch_4"][0]
        print(
            f"| {r['size']:,} | usearch (mapped), vector store only | "
            f"{r['build_s']:.0f} s ({r['build_cpu_s']:.0f} CPU s) | "
            f"{r['graph_mb']:,.0f} MB | {r['recall']} | {u2:,.0f} MB | {u4:,.0f} MB |"
        )
        s2, s4 = r["serve_2"]["pss"], r["serve_4"]["pss"]
        print(
            f"| {r['size']:,} | usearch (mapped), `dailypapers serve` workers | | | | "
            f"{s2:,.0f} MB | {s4:,.0f} MB |"
        )
        if "hnswlib_2" in r:
            h2, h4 = r["hnswlib_2"][0], r["hnswlib_4"][0]
            print(
                f"| {r['size']:,} | hnswlib (loaded) | {r['hnswlib_build_s']:.0f} s | | "
                f"{r['hnswlib_recall']} | {h2:,.0f} MB | {h4:,.0f} MB |"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated index sizes")
    parser.add_argument("--embed", type=int, default=3000, help="real abstracts to embed (default 3000)")
    parser.add_argument("--queries", type=int, default=400, help="queries to time (default 400)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dailypapers-bench")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes under --cache")
    parser.add_argument(
        "--reuse", action="store_true", help="time an index kept by an earlier --keep run instead of building"
    )
    parser.add_argument(
        "--hnsw-threshold",
        type=int,
        default=HNSW_THRESHOLD,
        help="graph from this many vectors on (site default)",
    )
    parser.add_argument("--memory", action="store_true", help="vectors only: recall and workers' PSS")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="usearch", help=argparse.SUPPRESS)
    parser.add_argument("--query-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    globals()["HNSW_THRESHOLD"] = args.hnsw_threshold
    if args.serve:
        serve(args.serve, args.query_file)
        return 0
    if args.memory_worker:
        memory_worker(args.memory_worker, args.query_file, args.kind)
        return 0

    print(
        f"CPU cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} "
        "(shared machine: figures are noisy)"
    )
    t0 = time.perf_counter()
    papers = read_snapshot()
    print(f"read {len(papers)} real papers in {time.perf_counter() - t0:.1f} s")
    embedder = Embedder(BUNDLED_MODEL_DIR, threads=os.cpu_count() or 1)
    base = real_vectors(papers, min(args.embed, len(papers)), args.cache, embedder)
    queries = make_queries(papers, args.queries)
    if args.memory:
        args.cache.mkdir(parents=True, exist_ok=True)
        # 200 query embeddings for recall and the server-like workers; for `serve`, query texts
        # enough for 4 workers (each embeds its own).
        texts = make_queries(papers, 1200, seed=11)
        return memory(args, base, texts, embedder.embed(queries[:200]), embedder.name)
    del embedder
    qfile = args.cache / "queries.json"
    args.cache.mkdir(parents=True, exist_ok=True)
    qfile.write_text(json.dumps(queries))
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        root = args.cache / f"index-{size}"
        if args.reuse and (root / "current.json").exists():
            print(f"\n== {size:,} papers: reusing {root}", flush=True)
            built = {
                "build_s": float("nan"),
                "graph": "hnsw" if any(root.glob("g-*/graph.usearch")) else "exact",
            }
            built["size_mb"] = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6
        else:
            shutil.rmtree(root, ignore_errors=True)
            print(f"\n== {size:,} papers: building ...", flush=True)
            built = build(root, papers, size, base)
            print(
                f"built in {built['build_s']:.0f} s (BM25 {built['lexical_s']:.0f} s, "
                f"vectors {built['vectors_s']:.0f} s, "
                f"{built['graph']} graph {built['graph_s']:.0f} s); on disk {built['size_mb']:.0f} MB "
                f"(tantivy {built['lexical_mb']:.0f} MB)",
                flush=True,
            )
        out = subprocess.run(
            [
                *(sys.executable, __file__, "--serve", str(root), "--query-file", str(qfile)),
                *("--hnsw-threshold", str(args.hnsw_threshold)),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 1
        served = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"hybrid p50 {served['p50_ms']:.1f} ms, p99 {served['p99_ms']:.1f} ms "
            f"(query embedding p50 {served['embed_p50_ms']:.1f} ms; "
            f"BM25 alone p50 {served['lexical_p50_ms']:.1f} ms, "
            f"p99 {served['lexical_p99_ms']:.1f} ms; counting every match, same process: "
            f"p50 {served['counted_p50_ms']:.1f} ms, p99 {served['counted_p99_ms']:.1f} ms; "
            f"{served['inexact_totals']} of {len(queries)} totals a lower bound); "
            f"RSS {served['rss_mb']:.0f} MB "
            f"(peak {served['peak_rss_mb']:.0f} MB); opened in {served['open_s']:.1f} s",
            flush=True,
        )
        rows.append((size, built, served))
        if not (args.keep or args.reuse):
            shutil.rmtree(root, ignore_errors=True)
    print("\n| papers | vectors | build | on disk | RSS | hybrid p50 | hybrid p99 | BM25 p50 | embed p50 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size, b, s in rows:
        print(
            f"| {size:,} | {b['graph']} | {b['build_s']:.0f} s | {b['size_mb']:.0f} MB | "
            f"{s['rss_mb']:.0f} MB | {s['p50_ms']:.1f} ms | {s['p99_ms']:.1f} ms | "
            f"{s['lexical_p50_ms']:.1f} ms | {s['embed_p50_ms']:.1f} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
