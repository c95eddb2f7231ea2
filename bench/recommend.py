"""How fast the recommendation model trains and scores, and how its memory grows with members.

    python bench/recommend.py                    # 1,000 and 10,000 members, 1,000 new papers
    python bench/recommend.py --members 2000,20000 --papers 1000

Members are synthetic, papers are real: the arXiv snapshot's papers whose embeddings are in the
`eval-recommend` cache (run it once first; what it embedded is reused, nothing is embedded here unless
fewer than --min-real papers are cached). Each member picks a topic paper and saves 10 of its 50 nearest
papers (random ages up to a year), follows one of their authors and the topic's category; the background
is 200 other papers. For each member count a child process (its own peak RSS):

1. trains every member one after another and stores each model's bytes in a file, as the site stores
   one row per member (the models are never all in memory);
2. reads them back in batches of 1,000 and scores the --papers newest papers for each batch with one
   `score_many` (keeping each member's top 50), as a day's scoring run would.

It prints the times, papers × members scored per second, peak RSS, and the ratios between the two
member counts (time should grow with members, memory should not).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from dailypapers.recommend import evaluation, learning  # noqa: E402

BATCH = 1000


def real_papers(cache_dir: Path, min_real: int) -> learning.Papers:
    from dailypapers.search.embedding import BUNDLED_MODEL_DIR, Embedder

    papers = evaluation.load_snapshot(evaluation.default_shared_dir() / "arxiv-snapshot")
    papers.sort(key=lambda p: (p.day, p.arxiv_id))
    cache = evaluation.EmbeddingCache(cache_dir, Embedder(BUNDLED_MODEL_DIR, threads=1))
    keys = [cache.key(p.text) for p in papers]
    found: dict[bytes, bytes] = {}
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        marks = ",".join("?" * len(part))
        found.update(cache.db.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part))
    have = [p for p, k in zip(papers, keys, strict=True) if k in found]
    if len(have) < min_real:  # embed the newest missing ones (slow: a few hundred a minute)
        missing = [p for p, k in zip(papers, keys, strict=True) if k not in found][-(min_real - len(have)) :]
        cache.vectors([p.text for p in missing], progress=lambda m: print(m, file=sys.stderr))
        have = sorted(have + missing, key=lambda p: (p.day, p.arxiv_id))
    vectors = cache.vectors([p.text for p in have])
    return learning.Papers(
        vectors, [p.authors for p in have], [p.categories for p in have], [p.text for p in have]
    )


def members(pool: learning.Papers, background: learning.Papers, count: int, seed: int):
    """Synthetic members' training inputs, one at a time."""
    rng = np.random.default_rng(seed)
    topics = rng.choice(len(pool), size=min(500, len(pool)), replace=False)
    nearest = np.argsort(-(pool.vectors[topics] @ pool.vectors.T), axis=1)[:, :50]
    for _ in range(count):
        t = rng.integers(len(topics))
        picked = rng.choice(nearest[t], size=10, replace=False)
        positives = pool.subset(picked)
        author = next((a[0] for a in positives.authors if a), "")
        yield learning.TrainingInput(
            positives=positives,
            positive_ages=rng.uniform(0, 365, size=10),
            background=background,
            followed_authors=[author] if author else [],
            followed_categories=list(pool.categories[topics[t]][:1]),
        )


def child(args: argparse.Namespace) -> None:
    pool = real_papers(args.cache, args.min_real)
    candidates = pool.subset(range(len(pool) - args.papers, len(pool)))
    rest = len(pool) - args.papers
    rng = np.random.default_rng(args.seed)
    bg_idx = rng.choice(rest, size=200, replace=False)
    background = pool.subset(bg_idx)
    library = pool.subset(np.setdiff1d(np.arange(rest), bg_idx))
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    learning.train(next(members(library, background, 1, args.seed)))  # imports, warm-up

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "models.bin"
        t0, c0 = time.perf_counter(), time.process_time()
        kinds: dict[str, int] = {}
        size = 0
        with store.open("wb") as fh:
            for data in members(library, background, args.members, args.seed):
                model = learning.train(data)
                raw = model.to_bytes()
                kinds[model.kind] = kinds.get(model.kind, 0) + 1
                size += len(raw)
                fh.write(struct.pack("<I", len(raw)) + raw)
        train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0

        t0, c0 = time.perf_counter(), time.process_time()
        pure = 0.0
        top = np.zeros(50, dtype=np.int64)
        with store.open("rb") as fh:
            while True:
                batch = []
                while len(batch) < BATCH and (head := fh.read(4)):
                    batch.append(learning.MemberModel.from_bytes(fh.read(struct.unpack("<I", head)[0])))
                if not batch:
                    break
                t1 = time.perf_counter()
                scores = learning.score_many(batch, candidates)
                pure += time.perf_counter() - t1
                for row in scores:  # what a scoring run keeps: each member's best 50
                    top = np.argpartition(-row, 50)[:50]
        score_s, score_cpu = time.perf_counter() - t0, time.process_time() - c0
    del top
    print(
        json.dumps(
            {
                "members": args.members,
                "papers": args.papers,
                "train_s": train_s,
                "score_s": score_s,
                "score_only_s": pure,
                "train_cpu_s": train_cpu,
                "score_cpu_s": score_cpu,
                "model_bytes": size / args.members,
                "kinds": kinds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "start_rss_mb": baseline_rss,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", default="1000,10000", help="member counts (default 1000,10000)")
    parser.add_argument("--papers", type=int, default=1000, help="new papers to score (default 1000)")
    parser.add_argument("--cache", type=Path, default=evaluation.default_cache_dir())
    parser.add_argument("--min-real", type=int, default=1500, help="real papers needed (default 1500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.members = args.child
        child(args)
        return 0
    print(f"CPU cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine: noisy)")
    rows = []
    for count in [int(c) for c in args.members.split(",")]:
        cmd = [sys.executable, __file__, "--child", str(count), "--papers", str(args.papers)]
        cmd += ["--cache", str(args.cache), "--min-real", str(args.min_real), "--seed", str(args.seed)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
        print(
            f"{count:>7,} members: train {row['train_s']:7.1f} s "
            f"({row['train_s'] / count * 1000:.1f} ms each, CPU {row.get('train_cpu_s', 0):.1f} s, "
            f"{row['kinds']}), score {row['papers']:,} papers {row['score_s']:6.2f} s "
            f"(CPU {row.get('score_cpu_s', 0):.2f} s, score_many alone {row['score_only_s']:.2f} s, "
            f"{count * row['papers'] / row['score_s'] / 1e6:.1f} M pairs/s), "
            f"model {row['model_bytes'] / 1024:.1f} kB, peak RSS {row['peak_rss_mb']:.0f} MB "
            f"(after loading papers {row['start_rss_mb']:.0f} MB)",
            flush=True,
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        k = b["members"] / a["members"]
        print(
            f"{b['members']:,} vs {a['members']:,} members (×{k:.0f}): "
            f"train ×{b['train_s'] / a['train_s']:.1f}, "
            f"score ×{b['score_s'] / a['score_s']:.1f}, peak RSS ×{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
