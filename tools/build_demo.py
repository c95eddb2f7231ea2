"""Build the demo snapshot bundled in the package from the Hugging Face daily archive.

    python tools/build_demo.py ../shared/data/hf-daily-papers --snapshot ../shared/data/arxiv-snapshot \
        --until 2026-06-19

Takes the 20 weekday files up to --until, keeps every field the site and its API show, as Hugging Face
gave it (authors hidden there too, organizations, the submitter's public profile figures; arXiv
metadata is CC0, the vote, comment and submitter figures are Hugging Face's public counts), leaves
out what the API does not serve (`isUserFollowing`, which describes whoever fetched the file) and
writes one gzipped JSON list of `{"date", "data"}` day objects, which `dailypapers import hf-daily`
reads like any other file.

Hugging Face's papers carry no arXiv categories, and the site's category search and feeds need them:
each paper gets its categories from the Kaggle-layout arXiv snapshot files (`arxiv-*.jsonl.gz`) in the
--snapshot folder, as the snapshot writes them (`"categories": "cs.CL cs.AI"`, read by
dailypapers.sources.hf_daily), and papers the snapshot lacks are left out. The snapshot ends in
July 2026, hence --until: its days are the latest whose papers it mostly holds (about 70%).
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
    "submittedOnDailyBy",
    "organization",
    "mediaUrls",
    "githubRepoAddedBy",
    "ai_summary_model",
]
ITEM_FIELDS = ["publishedAt", "title", "summary", "thumbnail", "numComments", "isAuthorParticipating"]
ITEM_FIELDS += ["organization", "submitterOrganization", "mediaUrls", "mediaUrl"]


def trim(item: dict | str) -> dict:
    if isinstance(item, str):
        item = ast.literal_eval(item)
    paper = item["paper"]
    slim = {k: paper[k] for k in PAPER_FIELDS if paper.get(k) is not None}
    slim["authors"] = paper.get("authors", [])  # all of them, hidden ones too, as written
    kept = {k: item[k] for k in ITEM_FIELDS if item.get(k) is not None}
    if submitter := item.get("submittedBy"):
        kept["submittedBy"] = {k: v for k, v in submitter.items() if k != "isUserFollowing"}
    return {"paper": slim, **kept}


def snapshot_categories(folder: Path, wanted: set[str]) -> dict[str, str]:
    """arXiv id -> its categories ("cs.CL cs.AI"), for the wanted ids found in the snapshot files."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("arxiv-*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record["id"] in wanted and record.get("categories"):
                    found[record["id"]] = record["categories"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--until", help="the last day (YYYY-MM-DD) to take; default: the archive's last")
    parser.add_argument("--snapshot", type=Path, required=True, help="folder of arxiv-*.jsonl.gz files")
    args = parser.parse_args()
    files = [path for path in sorted(args.folder.glob("*.json")) if not args.until or path.stem <= args.until]
    files = files[-args.days :]
    days = []
    for path in files:
        data = json.loads(path.read_text())
        data = data["data"] if isinstance(data, dict) else data
        days.append({"date": path.stem, "data": [trim(item) for item in data]})
    wanted = {item["paper"]["id"] for day in days for item in day["data"]}
    categories = snapshot_categories(args.snapshot, wanted)
    for day in days:
        day["data"] = [item for item in day["data"] if item["paper"]["id"] in categories]
        for item in day["data"]:
            item["paper"]["categories"] = categories[item["paper"]["id"]]
    OUT.write_bytes(
        gzip.compress(json.dumps(days, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0)
    )
    span = f"{days[0]['date']} .. {days[-1]['date']}"
    kept = sum(len(day["data"]) for day in days)
    print(
        f"{OUT}: {len(days)} days ({span}), {kept} of {len(wanted)} papers (those in the snapshot), "
        f"{OUT.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
