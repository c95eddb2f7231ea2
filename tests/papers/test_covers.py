"""Generated covers (papers.covers) keep their text on the cover: every title line and the author line
fit the 272 px column when drawn in DejaVu Sans (Linux's usual sans-serif, the widest font of the
cover's stack), however wide the letters, whatever the script, however long a word."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from PIL import ImageFont

from dailypapers.papers.covers import cover_svg
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans{}.ttf"
COLUMN = 320 - 2 * 24  # the cover's width less its margins
SVG = "{http://www.w3.org/2000/svg}"

TITLES = {
    # Real titles whose lines ran past the cover's edge when wrapped at 24 characters.
    "2606.02404": "K-BrowseComp: A Web Browsing Agent Benchmark Grounded in Korean Contexts",
    "2605.22012": "LatentOmni: Rethinking Omni-Modal Understanding via Unified Audio-Visual Latent Reasoning",
    "2605.31503": "How can embedding models bind concepts?",
    "2601.00001": "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM WWW WORLD-MODEL BENCHMARK",
    "2601.00002": "大规模语言模型的推理能力研究与评估方法综述以及未来的发展方向和挑战 🚀🔥",
    "2601.00003": "A " + "very " * 80 + "long title",
}


@pytest.mark.skipif(not os.path.exists(DEJAVU.format("-Bold")), reason="needs the DejaVu fonts")
@pytest.mark.django_db
def test_cover_text_fits_the_cover():
    bold = ImageFont.truetype(DEJAVU.format("-Bold"), 21)
    regular = ImageFont.truetype(DEJAVU.format(""), 15)
    for arxiv_id, title in TITLES.items():
        add_paper(arxiv_id, title, authors=["Maximilian-Alexander Wolfeschlegelsteinhausenbergerdorff"])
    for paper in Paper.objects.for_cards():
        texts = list(ET.fromstring(cover_svg(paper)).iter(f"{SVG}text"))
        lines = [span.text for span in texts[1].iter(f"{SVG}tspan")]
        author = texts[2].text
        for line in lines:
            # CJK and emoji are not in DejaVu: count them as the 1.2 em their fonts draw them at most.
            width = sum(21 * 1.2 if ord(c) > 0x2FFF else bold.getlength(c) for c in line)
            assert width <= COLUMN, (paper.arxiv_id, line, width)
        assert regular.getlength(author) <= COLUMN, author
        assert author.startswith("Maximilian-Alexander") and author.endswith("…")
        assert len(lines) <= 8
        # Nothing is lost but what the ellipsis says is cut.
        shown = "".join(lines).replace("…", "")
        assert "".join(paper.title_line.split()).startswith(shown.replace(" ", ""))
