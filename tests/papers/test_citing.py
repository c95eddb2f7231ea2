"""BibTeX for papers (papers.citing) as arXiv's export writes it, for real papers: many authors,
LaTeX specials and accented names in the text, a DOI; keys unique within a file; the `.bib` route
of a paper and of a member's library (members only, their own)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from dailypapers.papers.citing import bibtex, key
from dailypapers.papers.models import Authorship, Paper
from dailypapers.recommend.models import Save
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db

GPT3_AUTHORS = [
    "Tom B. Brown", "Benjamin Mann", "Nick Ryder", "Melanie Subbiah", "Jared Kaplan", "Prafulla Dhariwal",
    "Arvind Neelakantan", "Pranav Shyam", "Girish Sastry", "Amanda Askell", "Sandhini Agarwal",
    "Ariel Herbert-Voss", "Gretchen Krueger", "Tom Henighan", "Rewon Child", "Aditya Ramesh",
    "Daniel M. Ziegler", "Jeffrey Wu", "Clemens Winter", "Christopher Hesse", "Mark Chen", "Eric Sigler",
    "Mateusz Litwin", "Scott Gray", "Benjamin Chess", "Jack Clark", "Christopher Berner", "Sam McCandlish",
    "Alec Radford", "Ilya Sutskever", "Dario Amodei",
]  # fmt: skip


def when(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 17, 0, tzinfo=dt.UTC)


def paper(arxiv_id: str) -> Paper:
    return Paper.objects.for_cards().get(arxiv_id=arxiv_id)


@pytest.fixture
def real_papers():
    add_paper(
        "2005.14165",
        "Language Models are Few-Shot Learners",
        authors=GPT3_AUTHORS,
        categories=["cs.CL"],
        published_at=when(2020, 5, 28),
    )
    add_paper(
        "2012.12877",
        "Training data-efficient image transformers &\n  distillation through attention",
        authors=[
            "Hugo Touvron",
            "Matthieu Cord",
            "Matthijs Douze",
            "Francisco Massa",
            "Alexandre Sablayrolles",
            "Hervé Jégou",
        ],  # fmt: skip
        categories=["cs.CV"],
        published_at=when(2020, 12, 23),
    )
    add_paper(
        "1404.7828",
        "Deep Learning in Neural Networks: An Overview",
        authors=["Jürgen Schmidhuber"],
        categories=["cs.NE", "cs.LG"],
        published_at=when(2014, 4, 30),
        doi="10.1016/j.neunet.2014.09.003",
    )
    add_paper(
        "1602.07360",
        "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
        authors=[
            "Forrest N. Iandola",
            "Song Han",
            "Matthew W. Moskewicz",
            "Khalid Ashraf",
            "William J. Dally",
            "Kurt Keutzer",
        ],  # fmt: skip
        categories=["cs.CV", "cs.AI"],
        published_at=when(2016, 2, 24),
    )


def test_many_authors(real_papers):
    assert bibtex([paper("2005.14165")]) == (
        "@misc{brown2020language,\n"
        "  title={Language Models are Few-Shot Learners},\n"
        f"  author={{{' and '.join(GPT3_AUTHORS)}}},\n"
        "  year={2020},\n"
        "  eprint={2005.14165},\n"
        "  archivePrefix={arXiv},\n"
        "  primaryClass={cs.CL},\n"
        "  url={https://arxiv.org/abs/2005.14165},\n"
        "}\n"
    )


def test_specials_and_accented_names(real_papers):
    assert bibtex([paper("2012.12877")]) == (
        "@misc{touvron2020training,\n"
        "  title={Training data-efficient image transformers \\& distillation through attention},\n"
        "  author={Hugo Touvron and Matthieu Cord and Matthijs Douze and Francisco Massa and "
        "Alexandre Sablayrolles and Herv{\\'e} J{\\'e}gou},\n"
        "  year={2020},\n"
        "  eprint={2012.12877},\n"
        "  archivePrefix={arXiv},\n"
        "  primaryClass={cs.CV},\n"
        "  url={https://arxiv.org/abs/2012.12877},\n"
        "}\n"
    )
    squeeze = bibtex([paper("1602.07360")])
    assert squeeze.startswith("@misc{iandola2016squeezenet,\n")
    assert (
        "  title={SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and "
        "\\textless{}0.5MB model size},\n" in squeeze
    )


def test_doi(real_papers):
    assert bibtex([paper("1404.7828")]) == (
        "@misc{schmidhuber2014deep,\n"
        "  title={Deep Learning in Neural Networks: An Overview},\n"
        '  author={J{\\"u}rgen Schmidhuber},\n'
        "  year={2014},\n"
        "  eprint={1404.7828},\n"
        "  archivePrefix={arXiv},\n"
        "  primaryClass={cs.NE},\n"
        "  doi={10.1016/j.neunet.2014.09.003},\n"
        "  url={https://arxiv.org/abs/1404.7828},\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "title, written",
    [
        ("100% of $k$-cliques in O(n_2) & more", r"100\% of $k$-cliques in O(n\_2) \& more"),
        ("Costs $5, not #1 ~ ^", r"Costs \$5, not \#1 \textasciitilde{} \^{}"),
        ('Schr\\"odinger {bridges', r"Schr\"odinger \{bridges"),  # arXiv's TeX kept; a lone brace escaped
        ("Back\\slash \\ end", r"Back\slash \ end"),
        ("C:\\9 done", r"C:\textbackslash{}9 done"),
        ("Łódź ß Ø 王", r"{\L}{\'o}d{\'z} {\ss} {\O} 王"),
    ],
)
def test_text_is_safe_for_bibtex(title, written):
    add_paper("2401.00001", title, authors=["Ann Other"], published_at=when(2024, 1, 2))
    assert f"  title={{{written}}},\n" in bibtex([paper("2401.00001")])


def test_keys_are_unique_within_a_file():
    for arxiv_id in ("2401.00001", "2401.00002", "2401.00003"):
        add_paper(
            arxiv_id, "The Learning of Things", authors=["Zoë Smith-Ñúñez"], published_at=when(2024, 1, 2)
        )
    add_paper("2401.00004", "On", published_at=None)
    Authorship.objects.filter(paper__arxiv_id="2401.00004").delete()  # authors unknown
    papers = [paper(i) for i in ("2401.00001", "2401.00002", "2401.00003", "2401.00004")]
    assert key(papers[0]) == "smithnunez2024learning"
    text = bibtex(papers)
    keys = [line[len("@misc{") : -1] for line in text.splitlines() if line.startswith("@misc{")]
    assert keys == [
        "smithnunez2024learning",
        "smithnunez2024learninga",
        "smithnunez2024learningb",
        "anonymous2024on",  # no date: the year its arXiv id carries
    ]
    assert text.count("\n\n@misc{") == 3


def test_a_papers_bib_route(client, real_papers):
    response = client.get("/papers/1404.7828.bib")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="1404.7828.bib"'
    assert response.content.decode() == bibtex([paper("1404.7828")])
    assert client.get("/papers/1404.7828v2.bib")["Location"] == "/papers/1404.7828.bib"
    assert client.get("/papers/2999.99999.bib").status_code == 404
    assert client.get("/papers/not-an-id.bib").status_code == 404
    # The paper page's Cite section shows the same entry, without script.
    page = client.get("/papers/1404.7828").content.decode()
    assert 'href="#cite"' in page and '<section id="cite"' in page
    assert '<pre class="bibtex" id="bibtex" tabindex="0">@misc{schmidhuber2014deep,' in page
    assert "author={J{\\&quot;u}rgen Schmidhuber}" in page
    assert 'href="/papers/1404.7828.bib"' in page


def test_a_members_library_as_bibtex(client, real_papers):
    ada, bob = add_user("ada"), add_user("bob")
    Save.add(ada, paper("1404.7828"), tags="surveys")
    Save.add(ada, paper("2005.14165"))
    Save.add(bob, paper("2012.12877"))
    # Members only: a stranger is sent to sign in.
    response = client.get("/library.bib")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    client.force_login(ada)
    response = client.get("/library.bib")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="library.bib"'
    assert "private" in response["Cache-Control"]
    # Their own saves, newest first; never another member's.
    assert response.content.decode() == bibtex([paper("2005.14165"), paper("1404.7828")])
    assert client.get("/library.bib?tag=surveys").content.decode() == bibtex([paper("1404.7828")])
    assert 'href="/library.bib"' in client.get("/library").content.decode()
    client.force_login(bob)
    assert client.get("/library.bib").content.decode() == bibtex([paper("2012.12877")])


def test_keys_of_odd_names_stay_short_and_readable():
    add_paper("2402.00001", "Łódź and Þingvellir", authors=["Jan Łukasiewicz"], published_at=when(2024, 2, 1))
    long_name = "Wolfeschlegelsteinhausenbergerdorff" * 8
    add_paper("2402.00002", "Pneumonoultramicroscopicsilicovolcanoconiosis", authors=[f"Hubert {long_name}"])
    add_paper("hep-th/9901001", "Old strings", authors=["Ed Witten"], published_at=None)
    assert key(paper("2402.00001")) == "lukasiewicz2024lodz"
    assert key(paper("2402.00002")).startswith("wolfeschlegelsteinha20")
    assert len(key(paper("2402.00002"))) <= 2 * 20 + 4
    assert key(paper("hep-th/9901001")) == "witten1999old"
    assert "year={1999}" in bibtex([paper("hep-th/9901001")])
