"""`dailypapers eval-recommend`: the time-split recommendation benchmark (recommend/evaluation.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.recommend import evaluation


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None


def _pair(text: str) -> tuple[int, int]:
    """N (both datasets) or N,M (arxiv-authors, hf-submitters)."""
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or two: {text[:40]!r}") from None
    if len(parts) not in (1, 2) or min(parts) < 0:
        raise argparse.ArgumentTypeError(f"expected N or N,M (0 or more): {text[:40]!r}")
    return (parts[0], parts[-1])


def _positive(text: str) -> tuple[int, int]:
    pair = _pair(text)
    if min(pair) < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more: {text[:40]!r}")
    return pair


class Command(BaseCommand):
    help = (
        "Rank real papers for real readers of the past and compare the shipped recommendation model "
        "with baselines: arXiv authors (their later papers among all papers of the following weeks) "
        "and Hugging Face submitters (their later submissions in each later day's feed). Options "
        "taking N,M give the arxiv-authors and hf-submitters values; N alone sets both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        d = evaluation.DEFAULTS
        a, b = d["arxiv-authors"], d["hf-submitters"]
        parser.add_argument(
            "--cutoff",
            type=_date,
            default=evaluation.DEFAULT_CUTOFF,
            help=f"train before this day, test from it on (default {evaluation.DEFAULT_CUTOFF})",
        )
        parser.add_argument(
            "--weeks", type=_positive, help=f"weeks after the cutoff (default {a['weeks']},{b['weeks']})"
        )
        parser.add_argument(
            "--min-train",
            type=_positive,
            help=f"papers a member needs before the cutoff (default {a['min_train']},{b['min_train']})",
        )
        parser.add_argument(
            "--min-test",
            type=_positive,
            help=f"papers a member needs after it (default {a['min_test']},{b['min_test']})",
        )
        parser.add_argument(
            "--max-members",
            type=int,
            default=evaluation.DEFAULT_MAX_MEMBERS,
            help=f"members drawn per dataset, 0 for all (default {evaluation.DEFAULT_MAX_MEMBERS})",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="draw of members, random baseline (default 0)"
        )
        parser.add_argument(
            "--dataset",
            choices=[*evaluation.DATASETS, "both"],
            default="both",
            help="which dataset (default both)",
        )
        parser.add_argument(
            "--shared",
            type=Path,
            help="the folder holding arxiv-snapshot/ and hf-daily-papers/ (default ../shared/data)",
        )
        parser.add_argument(
            "--cache",
            type=Path,
            help=f"embedding cache folder (default {evaluation.default_cache_dir()})",
        )
        parser.add_argument(
            "--parts", action="store_true", help="also rank with each part of the model switched off"
        )
        parser.add_argument(
            "--per-day",
            action="store_true",
            help="hf-submitters: rank each later day's feed apart rather than all papers of the weeks",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **opts) -> None:
        if opts["max_members"] < 0:
            raise CommandError("--max-members: 0 or more")
        options = evaluation.Options(
            cutoff=opts["cutoff"],
            weeks=opts["weeks"],
            min_train=opts["min_train"],
            min_test=opts["min_test"],
            max_members=opts["max_members"],
            seed=opts["seed"],
            datasets=evaluation.DATASETS if opts["dataset"] == "both" else (opts["dataset"],),
            shared=opts["shared"],
            cache=opts["cache"],
            extra=opts["parts"],
            per_day=opts["per_day"],
        )

        def say(message: str) -> None:
            self.stderr.write(message)

        try:
            results = evaluation.run(options, say)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        self.stdout.write(evaluation.table(results, options.cutoff))
