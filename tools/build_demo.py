"""Build the demo snapshot bundled in the package from the Hugging Face daily archive.

    python tools/build_demo.py ../shared/data/hf-daily-papers

Takes the last 20 weekday files, keeps the fields the site shows (arXiv metadata is CC0; the vote,
comment and submitter figures are Hugging Face's public counts) and writes one gzipped JSON list of
`{"date", "data"}` day objects, which `dailypapers import hf-daily` reads like any other file.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/dailypapers/sources/data/demo-hf-daily.json.gz"
PAPER_FIELDS = [
    "id",
    "title",
    "summary",
    "publishedAt",
    "submittedOnDailyAt",
    "upvotes",
    "githubRepo",
    "githubStars",
    "projectPage",
    "ai_summary",
    "ai_keywords",
]


def trim(item: dict | str) -> dict:
    if isinstance(item, str):
        item = ast.literal_eval(item)
    paper = item["paper"]
    slim = {k: paper[k] for k in PAPER_FIELDS if paper.get(k) is not None}
    slim["authors"] = [{"name": a["name"]} for a in paper.get("authors", []) if not a.get("hidden")]
    submitter = item.get("submittedBy") or {}
    return {
        "paper": slim,
        "publishedAt": item.get("publishedAt"),
        "title": item.get("title"),
        "numComments": item.get("numComments", 0),
        "submittedBy": {k: submitter[k] for k in ("name", "fullname") if k in submitter},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.json"))[-args.days :]
    days = []
    for path in files:
        data = json.loads(path.read_text())
        data = data["data"] if isinstance(data, dict) else data
        days.append({"date": path.stem, "data": [trim(item) for item in data]})
    OUT.write_bytes(
        gzip.compress(json.dumps(days, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0)
    )
    papers = sum(len(d["data"]) for d in days)
    span = f"{days[0]['date']} .. {days[-1]['date']}"
    print(f"{OUT}: {len(days)} days ({span}), {papers} papers, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
