"""Thumbnails of papers' first pages, as Hugging Face shows on its cards: the PDF fetched from arXiv,
its first page drawn by PDFium (pypdfium2) and kept as a small WebP in the data folder.

The work is a queue of Thumbnail rows: the papers on the feed of the last THUMBNAIL_DAYS days are
put on it; a worker (`dailypapers thumbnails --loop`) claims each due row with a conditional UPDATE
(two workers never render one paper), renders it, and stores it; a failure is recorded and the
paper is due again after a backoff that doubles with each failure. The image is written to a
temporary file and renamed into place, so a crash leaves no half-written image, and its name
carries the hash of its bytes (Paper.thumbnail_key), so its address changes with it and browsers
may keep it forever. Until there is one, pages show a generated cover (papers.covers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.papers import stamps
from dailypapers.papers.covers import HEIGHT, WIDTH
from dailypapers.papers.models import Listing, Paper
from dailypapers.papers.periods import feed_day
from dailypapers.sources.fetching import Fetcher
from dailypapers.sources.models import Thumbnail

log = logging.getLogger("dailypapers.thumbnails")

# Papers claimed per pass; the next pass takes the next ones.
BATCH = 100
# The longest wait before a failed paper is tried again.
MAX_RETRY_WAIT = dt.timedelta(days=7)
WEBP_QUALITY = 80
# A temporary file older than this is left over from a killed worker.
STALE_TEMP_SECONDS = 3600


class RenderError(Exception):
    """The PDF could not be drawn (damaged, encrypted, not a PDF)."""


def folder() -> Path:
    path = Path(settings.THUMBNAIL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_name(arxiv_id: str, key: str) -> str:
    # Old-style ids hold a slash (hep-th/9901001).
    return f"{arxiv_id.replace('/', '_')}-{key}.webp"


def image_path(arxiv_id: str, key: str) -> Path:
    return Path(settings.THUMBNAIL_DIR) / file_name(arxiv_id, key)


def render_first_page(pdf: bytes) -> bytes:
    """The first page as a WIDTH x HEIGHT WebP: scaled to the width, then cut (an A4 page loses a
    strip at its foot) or filled with white (a wide page) to the height, so every card is alike."""
    import pypdfium2 as pdfium  # loaded by the worker only, not by every web process
    from PIL import Image

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"not a readable PDF: {exc}") from exc
    try:
        if len(document) == 0:
            raise RenderError("the PDF has no pages")
        page = document[0]
        width = page.get_width()
        if width <= 0:
            raise RenderError("the first page has no width")
        # Twice the size, then down with a good filter: sharper text than PDFium's own scaling.
        bitmap = page.render(scale=2 * WIDTH / width, may_draw_forms=False)
        drawn = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    drawn = drawn.resize((WIDTH, max(1, round(drawn.height * WIDTH / drawn.width))), Image.Resampling.LANCZOS)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    image.paste(drawn.crop((0, 0, WIDTH, min(HEIGHT, drawn.height))), (0, 0))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a temporary file in the same folder, then a rename."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".webp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(now: float | None = None) -> int:
    """Delete what a worker killed mid-write left behind; returns how many."""
    now = now or time.time()
    removed = 0
    for temp in folder().glob(".tmp-*"):
        try:
            if temp.stat().st_mtime < now - STALE_TEMP_SECONDS:
                temp.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def enqueue(now: dt.datetime | None = None) -> int:
    """Put the papers on the feed of the last THUMBNAIL_DAYS days that have no row yet on the queue,
    due now. Returns how many."""
    now = now or timezone.now()
    since = feed_day(now) - dt.timedelta(days=settings.THUMBNAIL_DAYS)
    ids = set(
        Listing.objects.visible()
        .filter(day__gte=since, paper__thumbnail_render__isnull=True)
        .values_list("paper_id", flat=True)
    )
    rows = [Thumbnail(paper_id=pk, due_at=now) for pk in sorted(ids)]
    Thumbnail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _free(now: dt.datetime) -> Q:
    return Q(due_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))


def claim(paper_id: int, now: dt.datetime | None = None) -> bool:
    """Hold the paper's render for this worker; False when another holds it or it is not due. One
    conditional UPDATE decides between racing workers; a dead worker's claim runs out after
    THUMBNAIL_CLAIM_TIMEOUT."""
    now = now or timezone.now()
    until = now + dt.timedelta(seconds=settings.THUMBNAIL_CLAIM_TIMEOUT)
    return bool(Thumbnail.objects.filter(_free(now), pk=paper_id).update(claimed_until=until))


def pdf_url(arxiv_id: str) -> str:
    return f"{settings.THUMBNAIL_PDF_URL.rstrip('/')}/{arxiv_id}"


def render_paper(paper: Paper, fetcher: Fetcher) -> str:
    """Fetch, draw and store the paper's thumbnail; returns its key. Raises SourceError or
    RenderError, leaving the paper as it was."""
    pdf = fetcher.download(pdf_url(paper.arxiv_id), settings.THUMBNAIL_MAX_PDF_BYTES)
    image = render_first_page(pdf)
    key = hashlib.sha256(image).hexdigest()[:16]
    _write(folder() / file_name(paper.arxiv_id, key), image)
    old = Paper.objects.filter(pk=paper.pk).values_list("thumbnail_key", flat=True).first()
    Paper.objects.filter(pk=paper.pk).update(thumbnail_key=key)
    Thumbnail.objects.filter(pk=paper.pk).update(
        due_at=None, claimed_until=None, rendered_at=timezone.now(), attempts=0, last_error=""
    )
    if old and old != key:
        image_path(paper.arxiv_id, old).unlink(missing_ok=True)
    # The paper's cards and page now show the image.
    pagecache.bump(*stamps.of_paper(paper.pk))
    return key


def record_failure(paper_id: int, error: str, now: dt.datetime | None = None) -> dt.datetime:
    """Let the claim go and make the paper due again after the backoff; returns when."""
    now = now or timezone.now()
    row = Thumbnail.objects.filter(pk=paper_id).values_list("attempts", flat=True).first() or 0
    wait = min(MAX_RETRY_WAIT, dt.timedelta(seconds=settings.THUMBNAIL_RETRY_BACKOFF * 2 ** min(row, 20)))
    Thumbnail.objects.filter(pk=paper_id).update(
        due_at=now + wait, claimed_until=None, attempts=row + 1, last_error=error[:2000]
    )
    return now + wait


@dataclass
class PassResult:
    rendered: list[str] = field(default_factory=list)
    failed: int = 0
    skipped: int = 0  # held by another worker
    seconds: float = 0.0


def render_due(
    stop: threading.Event | None = None,
    pause: float = 0.0,
    report: Callable[[str], None] | None = None,
    fetcher: Fetcher | None = None,
) -> PassResult:
    """One pass: queue the new feed papers, then render those due, oldest due first."""
    started = time.monotonic()
    result = PassResult()
    own = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        enqueue()
        now = timezone.now()
        due = list(
            Thumbnail.objects.filter(_free(now))
            .order_by("due_at", "paper_id")
            .values_list("paper_id", flat=True)[:BATCH]
        )
        for paper_id in due:
            if stop is not None and stop.is_set():
                break
            if not claim(paper_id):
                result.skipped += 1
                continue
            if pause:
                time.sleep(pause)  # tests: two workers side by side
            paper = Paper.objects.filter(pk=paper_id).only("pk", "arxiv_id", "thumbnail_key").first()
            if paper is None:
                continue  # deleted meanwhile (the row went with it)
            try:
                render_paper(paper, fetcher)
            except Exception as exc:  # noqa: BLE001 (any failure of one paper is that paper's)
                when = record_failure(paper_id, f"{type(exc).__name__}: {exc}")
                log.warning("thumbnail of %s failed (%s); next try %s", paper.arxiv_id, exc, when)
                result.failed += 1
                if report:
                    report(f"failed {paper.arxiv_id}: {exc}")
            else:
                result.rendered.append(paper.arxiv_id)
                if report:
                    report(f"rendered {paper.arxiv_id}")
    finally:
        if own:
            fetcher.close()
    result.seconds = time.monotonic() - started
    return result
