"""Bulk imports from files, one transaction per file, with progress and a summary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from dailypapers.sources import hf_daily
from dailypapers.sources.ingest import UpsertResult, upsert


class ImportSummary(UpsertResult):
    def __init__(self) -> None:
        super().__init__()
        self.files = self.unreadable = self.records = self.skipped = 0

    def describe(self) -> str:
        return (
            f"Files: {self.files} read, {self.unreadable} unreadable. "
            f"Records: {self.records} read, {self.skipped} skipped. "
            f"Papers: {self.new} new, {self.updated} updated, {self.unchanged} unchanged. "
            f"Feed listings: {self.listings_new} new."
        )


def import_hf_daily(
    files: list[Path], report: Callable[[str], object], progress: bool = True
) -> ImportSummary:
    """Import each file in its own transaction: a bad file never leaves half its papers behind."""
    summary = ImportSummary()
    # disable=None: a bar on a terminal, none in logs.
    bar = tqdm(files, unit="file", disable=None if progress else True, file=sys.stderr)

    def say(message: str) -> None:
        with tqdm.external_write_mode(file=sys.stderr):
            report(message)

    for path in bar:
        bar.set_postfix_str(path.name, refresh=False)
        try:
            reading = hf_daily.read_file(path)
        except hf_daily.UnreadableFile as exc:
            summary.unreadable += 1
            say(f"error: {exc}")
            continue
        summary.files += 1
        summary.records += reading.items
        summary.skipped += len(reading.problems)
        for problem in reading.problems:
            say(f"skipped {problem}")
        summary.add(upsert(reading.records))
    return summary
