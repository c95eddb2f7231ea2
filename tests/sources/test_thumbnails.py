"""Thumbnails of first pages (sources.thumbnails, `dailypapers thumbnails`): a real PDF, made here and
served by a loopback "arXiv", drawn to a 320 x 414 WebP that the site serves with far-future caching
under an address naming its content; failures recorded and retried after a backoff; oversized and
broken PDFs refused without a half-written file; two workers never draw one paper; a generated SVG
cover wherever there is no image."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from dailypapers.papers.covers import cover_key
from dailypapers.papers.models import Paper
from dailypapers.papers.periods import feed_day
from dailypapers.sources import thumbnails
from dailypapers.sources.models import Thumbnail
from tests.support.factories import add_paper
from tests.support.replay import ReplayServer, Reply

FOREVER = "public, max-age=31536000, immutable"


def make_pdf() -> bytes:
    """A one-page US Letter PDF (612 x 792 pt): white, with a black band across its top quarter."""
    page = Image.new("RGB", (612, 792), "white")
    ImageDraw.Draw(page).rectangle((0, 0, 611, 197), fill="black")
    out = io.BytesIO()
    page.save(out, "PDF", resolution=72)
    return out.getvalue()


PDF = make_pdf()


def pdf_reply(request) -> Reply:
    return Reply(PDF, headers={"Content-Type": "application/pdf"})


@pytest.fixture
def arxiv_pdfs(settings, tmp_path):
    server = ReplayServer().start()
    settings.THUMBNAIL_PDF_URL = server.url + "/pdf"
    settings.THUMBNAIL_DIR = str(tmp_path / "thumbnails")
    settings.ARXIV_DELAY = 0
    settings.SOURCE_RETRIES = 0
    settings.THUMBNAIL_RETRY_BACKOFF = 60
    yield server
    server.stop()


def listed(arxiv_id: str, title: str = "Attention Is All You Need") -> Paper:
    add_paper(arxiv_id, title, feed_day(), authors=["Ashish Vaswani", "Noam Shazeer"], categories=["cs.CL"])
    return Paper.objects.get(arxiv_id=arxiv_id)


@pytest.mark.django_db
def test_a_feed_paper_is_drawn_served_and_shown(client, arxiv_pdfs):
    arxiv_pdfs.route("/pdf/1706.03762", pdf_reply)
    paper = listed("1706.03762")
    result = thumbnails.render_due()
    assert result.rendered == ["1706.03762"] and result.failed == 0
    assert [r.path for r in arxiv_pdfs.requests] == ["/pdf/1706.03762"]
    paper.refresh_from_db()
    assert len(paper.thumbnail_key) == 16
    path = thumbnails.image_path(paper.arxiv_id, paper.thumbnail_key)
    image = Image.open(path)
    image.load()
    assert (image.format, image.size) == ("WEBP", (320, 414))
    # The page as drawn: the black band on top, white below.
    assert max(image.getpixel((160, 30))) < 60 and min(image.getpixel((160, 300))) > 200
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]
    row = Thumbnail.objects.get(pk=paper.pk)
    assert row.due_at is None and row.rendered_at is not None and row.attempts == 0

    url = f"/thumbnails/{paper.thumbnail_key}/1706.03762.webp"
    assert paper.thumbnail_url == url
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == FOREVER
    assert b"".join(response.streaming_content) == path.read_bytes()
    # An address of an older render goes on to the current one, briefly cached.
    old = client.get("/thumbnails/0123456789abcdef/1706.03762.webp")
    assert old.status_code == 302 and old["Location"] == url and "immutable" not in old["Cache-Control"]

    # The card and the paper page show it, lazily and sized.
    img = f'<img src="{url}" alt="" width="320" height="414" loading="lazy" decoding="async">'
    assert img in client.get("/").content.decode()
    assert f'<img src="{url}" alt="First page of the paper" width="320" height="414"' in (
        client.get("/papers/1706.03762").content.decode()
    )
    # The API gives its absolute address.
    item = client.get("/api/daily_papers").json()[0]
    assert item["thumbnail"] == item["paper"]["thumbnail"] == "http://testserver" + url
    # Done: the next pass asks arXiv for nothing.
    assert thumbnails.render_due().rendered == [] and len(arxiv_pdfs.requests) == 1


@pytest.mark.django_db
def test_a_failure_is_recorded_and_retried_after_a_backoff(arxiv_pdfs):
    paper = listed("2401.00001")
    result = thumbnails.render_due()  # no such PDF yet: 404
    assert result.failed == 1 and not result.rendered
    row = Thumbnail.objects.get(pk=paper.pk)
    assert row.attempts == 1 and "HTTP 404" in row.last_error and row.claimed_until is None
    assert dt.timedelta(seconds=55) < row.due_at - timezone.now() <= dt.timedelta(seconds=60)
    arxiv_pdfs.route("/pdf/2401.00001", pdf_reply)
    assert thumbnails.render_due().rendered == []  # not due yet: arXiv is not asked again
    assert len(arxiv_pdfs.requests) == 1
    Thumbnail.objects.update(due_at=timezone.now())
    arxiv_pdfs.routes.pop("/pdf/2401.00001")
    thumbnails.render_due()
    row.refresh_from_db()
    assert row.attempts == 2 and row.due_at - timezone.now() > dt.timedelta(seconds=115)  # doubled
    arxiv_pdfs.route("/pdf/2401.00001", pdf_reply)
    Thumbnail.objects.update(due_at=timezone.now())
    assert thumbnails.render_due().rendered == ["2401.00001"]
    row.refresh_from_db()
    assert row.attempts == 0 and row.last_error == "" and row.due_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("problem", ["too big", "not a PDF"])
def test_a_pdf_too_big_or_broken_leaves_no_file(arxiv_pdfs, settings, problem):
    if problem == "too big":
        settings.THUMBNAIL_MAX_PDF_BYTES = len(PDF) - 1
        arxiv_pdfs.route("/pdf/2401.00002", pdf_reply)
    else:
        arxiv_pdfs.route("/pdf/2401.00002", lambda r: Reply(PDF[: len(PDF) // 3]))
    paper = listed("2401.00002")
    assert thumbnails.render_due().failed == 1
    paper.refresh_from_db()
    assert paper.thumbnail_key == ""
    assert list(thumbnails.folder().iterdir()) == []
    error = Thumbnail.objects.get(pk=paper.pk).last_error
    assert ("more than" in error) if problem == "too big" else ("RenderError" in error)


@pytest.mark.django_db
def test_a_claim_holds_a_paper_until_it_runs_out(arxiv_pdfs, settings):
    paper = listed("2401.00003")
    assert thumbnails.enqueue() == 1 and thumbnails.enqueue() == 0
    now = timezone.now()
    assert thumbnails.claim(paper.pk, now)
    assert not thumbnails.claim(paper.pk, now)  # another worker's
    later = now + dt.timedelta(seconds=settings.THUMBNAIL_CLAIM_TIMEOUT + 1)
    assert thumbnails.claim(paper.pk, later)  # its worker vanished


@pytest.mark.django_db
def test_a_paper_without_a_render_shows_its_cover(client):
    add_paper(
        "2401.00009",
        'Tags <script>alert("x")</script> & \x01 control',
        feed_day(),
        authors=["Zoë <b>Bold</b>", "Someone Else"],
        categories=["math.CO"],
    )
    paper = Paper.objects.get(arxiv_id="2401.00009")
    url = f"/covers/{cover_key(paper)}/2401.00009.svg"
    assert paper.thumbnail_url == url
    assert f'<img src="{url}" alt=""' in client.get("/").content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == FOREVER
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    svg = ET.fromstring(response.content)  # well-formed, whatever the title held
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "math.CO"
    title = "".join(span.text for span in svg.iter("{http://www.w3.org/2000/svg}tspan"))  # a line each
    assert "".join(title.split()) == 'Tags<script>alert("x")</script>&control'  # lines break anywhere
    assert texts[2] == "Zoë <b>Bold</b> et al."
    assert not list(svg.iter("{http://www.w3.org/2000/svg}script"))
    assert svg.find(".//{http://www.w3.org/2000/svg}rect[2]").get("fill") == "#059669"  # math's colour
    # An old cover's address still answers (never a broken image), briefly cached.
    stale = client.get("/covers/0123456789ab/2401.00009.svg")
    assert stale.status_code == 200 and "immutable" not in stale["Cache-Control"]
    assert client.get("/covers/0123456789ab/2999.99999.svg").status_code == 404
    # The API keeps what was imported (none here): no cover there.
    assert client.get("/api/papers/2401.00009").json().get("thumbnail") is None


@pytest.mark.django_db
def test_a_render_whose_file_this_node_lacks_sends_the_reader_to_the_cover(client, settings, tmp_path):
    # Rendered on another node whose thumbnail folder this one does not share.
    settings.THUMBNAIL_DIR = str(tmp_path / "empty")
    add_paper("2401.00010", "Drawn elsewhere", feed_day())
    Paper.objects.filter(arxiv_id="2401.00010").update(thumbnail_key="0123456789abcdef")
    paper = Paper.objects.get(arxiv_id="2401.00010")
    response = client.get("/thumbnails/0123456789abcdef/2401.00010.webp")
    assert response.status_code == 302
    assert response["Location"] == f"/covers/{cover_key(paper)}/2401.00010.svg"
    assert "immutable" not in response["Cache-Control"]
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_the_api_keeps_the_imported_thumbnail_until_there_is_a_render(client):
    hf = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2401.00010.png"
    add_paper("2401.00010", "Imported", feed_day(), thumbnail=hf)
    assert client.get("/api/daily_papers").json()[0]["thumbnail"] == hf


# --- real processes ------------------------------------------------------------------------------------


def test_two_workers_draw_each_paper_once(command_env, settings, tmp_path):
    server = ReplayServer().start()
    try:
        ids = [f"2401.{n:05d}" for n in range(20, 28)]
        for arxiv_id in ids:
            server.route(f"/pdf/{arxiv_id}", pdf_reply)
            listed(arxiv_id)
        env = {
            **command_env,
            "DAILYPAPERS_THUMBNAIL_PDF_URL": server.url + "/pdf",
            "DAILYPAPERS_THUMBNAIL_DIR": str(tmp_path / "thumbs"),
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "dailypapers", "thumbnails", "-v", "2", "--pause", "0.2"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        server.stop()
    assert all(w.returncode == 0 for w in workers), outputs
    drawn = [
        [line.split()[1] for line in out.splitlines() if line.startswith("rendered ")] for out, _ in outputs
    ]
    assert Counter(drawn[0] + drawn[1]) == Counter(ids)  # each paper once
    assert drawn[0] and drawn[1]  # both did some of the work
    assert Counter(r.path for r in server.requests) == Counter(f"/pdf/{i}" for i in ids)
    assert not Paper.objects.filter(thumbnail_key="").exists()
    assert len(os.listdir(tmp_path / "thumbs")) == len(ids)
