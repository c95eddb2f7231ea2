"""The cold start (recommend.onboarding, its pages and the rating round): categories followed, pasted
ids and imported libraries matched by arXiv id, then DOI, then title and saved all or none; the rating
round's ratings; sign-in and CSRF on every form."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dailypapers.papers.models import Paper
from dailypapers.recommend import learning, onboarding, ranking, rating_round
from dailypapers.recommend.library_files import MAX_BYTES, Reference
from dailypapers.recommend.models import Dismissal, Follow, Rating, Save, Taste
from dailypapers.search.indexing import update_index
from tests.recommend import corpus
from tests.support.factories import add_paper, add_user, listed_paper, recent_paper

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"
DAY = dt.date(2026, 6, 19)

CATALOGUE = [
    # arXiv id, title as arXiv writes it (wrapped, LaTeX), DOI arXiv has for it
    ("1706.03762", "Attention Is All You Need", ""),
    ("1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language\n  Understanding", ""),
    ("2005.14165", "Language Models are Few-Shot Learners", ""),
    ("1512.03385", "Deep Residual Learning for Image Recognition", ""),
    (
        "hep-th/9711200",
        "The Large N Limit of Superconformal Field Theories and Supergravity",
        "10.1023/A:1026654312961",
    ),
    ("1412.6980", "Adam: A Method for Stochastic Optimization", ""),
    ("2106.09685", "LoRA: Low-Rank Adaptation of Large Language Models", ""),
    ("1503.02531", "Distilling the Knowledge in a Neural Network", ""),
    ("1406.2661", "Generative Adversarial Networks", "10.1145/3422622"),
    ("2312.00752", "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", ""),
    (
        "1602.03837",
        "Observation of Gravitational Waves from a Binary Black Hole Merger",
        "10.1103/PhysRevLett.116.061102",
    ),
    ("2301.04321", "Caf\\'e au lait: $\\alpha$-stable processes in Schr\\\"odinger bridges", ""),
    ("2301.04322", "Introduction", ""),
]


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.SEARCH_SEMANTIC = False  # exact titles are the index's keyword side
    settings.SUBMIT_FETCH_FROM_ARXIV = False  # the tests that look ids up on arXiv say so


@pytest.fixture
def catalogue():
    now = timezone.now()
    for n, (arxiv_id, title, doi) in enumerate(CATALOGUE):
        published = now - dt.timedelta(days=n + 1)
        add_paper(arxiv_id, title, day=DAY, doi=doi or None, categories=["cs.LG"], published_at=published)
    update_index()  # test transactions never commit, so the index is not told by itself
    return {p.arxiv_id: p for p in Paper.objects.all()}


@pytest.fixture
def ada():
    return add_user("ada")


def saved(user) -> set[str]:
    return set(Save.objects.filter(user=user).values_list("paper__arxiv_id", flat=True))


# --- Matching and importing -------------------------------------------------------------------


def test_zotero_bibtex_is_matched_by_id_and_doi(ada, catalogue):
    summary = onboarding.import_library(ada, (FILES / "zotero.bib").read_bytes(), "My Library.bib")
    assert summary.source == "BibTeX" and summary.entries == 5
    assert summary.matched == {"arXiv id": 3, "DOI": 1}
    assert saved(ada) == {"1706.03762", "1810.04805", "hep-th/9711200", "1602.03837"}
    assert summary.saved == 4 and summary.not_found == ["Pattern Recognition and Machine Learning"]
    assert Taste.objects.get(user=ada).signals_changed_at is not None


def test_scholar_bibtex_is_matched_by_title_whatever_the_case_markup_and_wrapping(ada, catalogue):
    summary = onboarding.import_library(ada, (FILES / "scholar.bib").read_bytes(), "scholar.bib")
    # Adam's journal is "arXiv preprint arXiv:1412.6980"; the others have their titles only.
    assert summary.matched == {"title": 3, "arXiv id": 1}
    assert saved(ada) == {"1512.03385", "1412.6980", "1406.2661", "2301.04321"}
    # A one-word title names too many papers to match; an unknown one is not found.
    assert summary.not_found == ["Introduction", "A study this catalogue has never heard of"]


def test_ris_and_zotero_csv(ada, catalogue):
    ris = onboarding.import_library(ada, (FILES / "library.ris").read_bytes(), "library.ris")
    assert (ris.source, ris.matched, ris.not_found_count, ris.skipped_count) == (
        "RIS",
        {"DOI": 1, "arXiv id": 2},
        1,
        1,
    )
    assert "no end (ER)" in ris.skipped[0]
    csv = onboarding.import_library(ada, (FILES / "zotero.csv").read_bytes(), "Exported Items.csv")
    assert csv.source == "Zotero CSV" and csv.matched == {"arXiv id": 2, "DOI": 1, "title": 1}
    assert saved(ada) >= {"2312.00752", "hep-th/9711200", "2005.14165", "1810.04805", "2106.09685"}


def test_an_id_beats_a_doi_beats_a_title(catalogue):
    attention, bert, gan = (catalogue[i] for i in ("1706.03762", "1810.04805", "1406.2661"))
    refs = [
        # id names one paper, DOI a second, title a third: the id wins
        Reference("a", arxiv_ids=["1706.03762"], dois=["10.1145/3422622"], title=bert.title),
        # no id (or one the catalogue lacks): the DOI wins over the title
        Reference("b", arxiv_ids=["2401.99999"], dois=["10.1145/3422622"], title=bert.title),
        # only the title is left
        Reference(
            "c",
            arxiv_ids=["2401.99999"],
            dois=["10.9999/unknown"],
            title="bert: PRE-TRAINING of deep bidirectional transformers for language understanding",
        ),
        Reference("d", title="Nothing like it"),
    ]
    matching = onboarding.match_references(refs)
    assert {n: (p.arxiv_id, how) for n, (p, how) in matching.papers.items()} == {
        0: (attention.arxiv_id, "arXiv id"),
        1: (gan.arxiv_id, "DOI"),
        2: (bert.arxiv_id, "title"),
    }
    assert matching.missing == [3]


def test_hidden_papers_and_titles_several_papers_share_are_not_matched(catalogue):
    Paper.objects.filter(arxiv_id="1706.03762").update(hidden=True)
    add_paper("2401.00007", "Adam: a method for stochastic optimization", day=DAY)  # a second one
    update_index()
    refs = [
        Reference("hidden", arxiv_ids=["1706.03762"]),
        Reference("twice", title="Adam: A Method for Stochastic Optimization"),
    ]
    assert onboarding.match_references(refs).missing == [0, 1]


def test_all_or_nothing(ada, catalogue, monkeypatch):
    Save.add(ada, catalogue["1512.03385"], tags="mine", note="kept")
    Dismissal.add(ada, catalogue["1706.03762"])

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away half way")

    monkeypatch.setattr(Save.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        onboarding.import_library(ada, (FILES / "zotero.bib").read_bytes(), "z.bib")
    assert saved(ada) == {"1512.03385"} and Dismissal.objects.filter(user=ada).count() == 1
    monkeypatch.undo()
    summary = onboarding.import_library(
        ada, (FILES / "scholar.bib").read_bytes() + (FILES / "zotero.bib").read_bytes(), "x.bib"
    )
    # Saved already: kept with its tags and note; a dismissed paper imported is no longer dismissed.
    assert summary.saved == summary.matched_count - 1
    assert Save.objects.get(user=ada, paper=catalogue["1512.03385"]).tags == ["mine"]
    assert not Dismissal.objects.filter(user=ada).exists()


def test_importing_twice_saves_nothing_new(ada, catalogue):
    data = (FILES / "zotero.bib").read_bytes()
    assert onboarding.import_library(ada, data).saved == 4
    again = onboarding.import_library(ada, data)
    assert again.matched_count == 4 and again.saved == 0


def test_only_members_import(catalogue):
    with pytest.raises(PermissionDenied):
        onboarding.import_library(AnonymousUser(), (FILES / "zotero.bib").read_bytes())
    with pytest.raises(PermissionDenied):
        onboarding.save_pasted(add_user("gone", is_active=False), "1706.03762")
    assert not Save.objects.exists()


# --- Pasted ids -------------------------------------------------------------------------------


def test_pasted_ids_in_any_form(ada, catalogue):
    text = (
        "1706.03762\nhttps://arxiv.org/abs/1810.04805v2, arXiv:hep-th/9711200v3 ;"
        " https://huggingface.co/papers/2106.09685  <https://arxiv.org/pdf/1412.6980.pdf>\n"
        "not-an-id 2401.99999 1706.03762"
    )
    summary = onboarding.save_pasted(ada, text)
    assert saved(ada) == {"1706.03762", "1810.04805", "hep-th/9711200", "2106.09685", "1412.6980"}
    assert summary.matched == {"arXiv id": 5} and summary.not_found == ["2401.99999"]
    assert summary.skipped == ["“not-an-id” is not an arXiv id or link"]
    with pytest.raises(ValidationError, match="None of that is an arXiv id"):
        onboarding.save_pasted(ada, "hello world")
    with pytest.raises(ValidationError, match="Paste at least one"):
        onboarding.save_pasted(ada, "  \n ")


def test_pasted_ids_the_catalogue_lacks_are_looked_up_on_arxiv(ada, replay_server, settings):
    from tests.support.recorded_arxiv import arxiv_replay

    arxiv_replay(replay_server, settings)
    settings.SUBMIT_FETCH_FROM_ARXIV = True
    summary = onboarding.save_pasted(ada, "https://arxiv.org/abs/1707.08567v1")
    assert saved(ada) == {"1707.08567"} and summary.fetched == 1
    assert [r.query.get("id_list") for r in replay_server.requests] == ["1707.08567"]


def test_arxiv_unreachable_leaves_the_rest_saved(ada, catalogue, settings):
    from tests.support.served import free_port

    settings.SUBMIT_FETCH_FROM_ARXIV = True
    settings.ARXIV_API_URL = f"http://127.0.0.1:{free_port()}/api/query"
    settings.ARXIV_DELAY = 0
    summary = onboarding.save_pasted(ada, "1706.03762 2611.09999")
    assert saved(ada) == {"1706.03762"} and summary.not_found == ["2611.09999"]
    assert any("arXiv could not be reached" in note for note in summary.notes)


# --- Categories -------------------------------------------------------------------------------


def test_categories_followed_are_exactly_those_picked(ada, catalogue):
    cache.delete("recommend:category-counts")  # counted for an hour: another test's catalogue may be kept
    choices = dict(onboarding.category_choices())
    assert choices["cs.LG"] == len(CATALOGUE) and "hep-th" in choices and choices["hep-th"] == 0
    followed, refused = onboarding.follow_categories(ada, ["cs.lg", "hep-th", "cs.nonsense"])
    assert followed == ["cs.LG", "hep-th"] and refused == ["cs.nonsense"]
    onboarding.follow_categories(ada, ["hep-th", "math.AG"])
    assert onboarding.followed_categories(ada) == ["hep-th", "math.AG"]
    Follow.add(ada, Follow.Kind.AUTHOR, "Ada Lovelace")  # other follows are left alone
    onboarding.follow_categories(ada, [])
    assert list(Follow.objects.filter(user=ada).values_list("kind", flat=True)) == ["author"]


# --- The rating round -------------------------------------------------------------------------


def test_the_round_asks_about_the_latest_listed_papers_not_seen_yet(ada):
    for n in range(14):
        listed_paper(f"2606.{n:05d}", f"Listed paper number {n}", day=DAY - dt.timedelta(days=n))
    recent_paper("2606.99999", "In the catalogue, never listed", days_old=90)
    Save.add(ada, Paper.objects.get(arxiv_id="2606.00000"))
    assert [p.arxiv_id for p in rating_round.pool(ada, size=3)] == ["2606.00001", "2606.00002", "2606.00003"]
    assert [p.arxiv_id for p in rating_round.pool(ada, size=14)][-1] == "2606.99999"  # filling up
    papers = rating_round.choose(ada)
    assert len(papers) == rating_round.ROUND and "2606.00000" not in {p.arxiv_id for p in papers}
    shown = [str(p.pk) for p in papers]
    answers = {shown[0]: "up", shown[1]: "down", shown[2]: "skip", shown[3]: "sideways"}
    assert rating_round.record(ada, shown, answers) == {"up": 1, "down": 1}
    assert dict(Rating.objects.filter(user=ada).values_list("paper_id", "value")) == {
        papers[0].pk: 1,
        papers[1].pk: -1,
    }
    assert {p.pk for p in rating_round.choose(ada)}.isdisjoint({papers[0].pk, papers[1].pk})
    with pytest.raises(ValidationError, match="At most 50"):
        rating_round.record(ada, [str(n) for n in range(51)], {})
    with pytest.raises(PermissionDenied):
        rating_round.record(AnonymousUser(), shown, answers)


def test_without_a_model_the_round_is_the_most_voted_of_the_followed_categories_first(ada):
    listed_paper("2606.00001", "Plenty of votes elsewhere", day=DAY, votes=50)
    add_paper("2606.00002", "Few votes, followed", day=DAY, votes=2, categories=["hep-th"])
    add_paper("2606.00003", "More votes, followed", day=DAY, votes=5, categories=["hep-th"])
    # No signal at all: no model to be unsure with.
    assert [p.arxiv_id for p in rating_round.choose(ada, k=3)] == ["2606.00001", "2606.00003", "2606.00002"]
    # A model not trained yet (a worker holds the member): followed categories come first.
    Follow.add(ada, Follow.Kind.CATEGORY, "hep-th")
    candidates = rating_round.pool(ada)
    picked = rating_round._most_voted(ada, candidates, 3)
    assert [p.arxiv_id for p in picked] == ["2606.00003", "2606.00002", "2606.00001"]


def test_the_round_page_says_how_its_papers_were_chosen(member, ada):
    papers = corpus.load()
    # Nothing known of her yet: the most voted, and the page says so rather than "least sure".
    page = member.get("/for-you/start/rate").content.decode()
    assert "the most voted recent papers" in page and "least sure" not in page
    Save.add_many(ada, [papers[corpus.arxiv_id("protein", n)] for n in (3, 4)])
    page = member.get("/for-you/start/rate").content.decode()
    assert "least sure" in page and "the most voted recent papers" not in page


def test_the_round_is_what_the_model_is_least_sure_of_after_the_import(ada):
    papers = corpus.load()
    taste_before = Taste.objects.filter(user=ada).first()
    assert taste_before is None
    # A library import just now: the model that chooses the round has learned from it.
    Save.add_many(ada, [papers[corpus.arxiv_id("protein", n)] for n in (3, 4)])
    picked = rating_round.choose(ada)
    taste, model = ranking.current_model(ada, train=False)
    assert model is not None and taste.trained_at >= taste.signals_changed_at
    candidates = rating_round.pool(ada)
    batch = ranking.paper_batch([p.pk for p in candidates], dim=len(model.vector))
    expected = [candidates[int(i)].arxiv_id for i in learning.uncertain(model, batch, k=rating_round.ROUND)]
    assert [p.arxiv_id for p in picked] == expected
    assert not {p.arxiv_id for p in picked} & {corpus.arxiv_id("protein", n) for n in (3, 4)}


# --- The pages --------------------------------------------------------------------------------


@pytest.fixture
def member(ada):
    client = Client()
    client.force_login(ada)
    return client


def test_anonymous_readers_are_sent_to_sign_in(catalogue):
    client = Client()
    for url in ("/for-you/start", "/for-you/start/papers", "/for-you/start/rate"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=")
    for url in ("/for-you/start/papers/paste", "/for-you/start/papers/upload", "/for-you/start/rate"):
        response = client.post(url, {"ids": "1706.03762"})
        assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert not Save.objects.exists()


def test_every_form_needs_csrf(ada, catalogue):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    library = SimpleUploadedFile("z.bib", (FILES / "zotero.bib").read_bytes())
    assert client.post("/for-you/start/papers/upload", {"library": library}).status_code == 403
    assert client.post("/for-you/start/papers/paste", {"ids": "1706.03762"}).status_code == 403
    assert client.post("/for-you/start", {"category": "cs.LG"}).status_code == 403
    assert client.post("/for-you/start/rate", {"shown": "1"}).status_code == 403
    assert not Save.objects.exists() and not Follow.objects.exists()
    # With the token from the page the upload goes through.
    page = client.get("/for-you/start/papers").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    library.seek(0)
    response = client.post("/for-you/start/papers/upload", {"library": library, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and len(saved(ada)) == 4


def test_the_steps_end_on_for_you(member, ada, catalogue):
    page = member.get("/for-you/start").content.decode()
    assert 'value="cs.LG"' in page and "step 1 of 3" in page
    response = member.post("/for-you/start", {"category": ["cs.LG", "stat.ML"]})
    assert response["Location"] == "/for-you/start/papers"
    assert onboarding.followed_categories(ada) == ["cs.LG", "stat.ML"]
    page = member.get("/for-you/start").content.decode()
    assert 'value="cs.LG" checked' in page and 'value="stat.ML" checked' in page
    assert '<details class="start-group" open>\n      <summary>Statistics</summary>' in page

    library = SimpleUploadedFile("My Library.bib", (FILES / "zotero.bib").read_bytes())
    response = member.post("/for-you/start/papers/upload", {"library": library})
    assert response["Location"] == "/for-you/start/papers#summary"
    page = member.get("/for-you/start/papers").content.decode()
    assert "Imported from your BibTeX file" in page
    assert "4</strong> of 5 entries found here" in page and "3 by arXiv id, 1 by DOI" in page
    assert "Pattern Recognition and Machine Learning" in page
    assert "Imported from" not in member.get("/for-you/start/papers").content.decode()  # shown once

    member.post("/for-you/start/papers/paste", {"ids": "2106.09685 nonsense"})
    page = member.get("/for-you/start/papers").content.decode()
    assert "Pasted ids" in page and "“nonsense” is not an arXiv id or link" in page

    page = member.get("/for-you/start/rate").content.decode()
    shown = re.findall(r'name="shown" value="(\d+)"', page)
    assert 0 < len(shown) <= rating_round.ROUND
    response = member.post(
        "/for-you/start/rate", {"shown": shown, f"rate-{shown[0]}": "up", f"rate-{shown[1]}": "down"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/for-you")
    assert Rating.objects.filter(user=ada).count() == 2
    response = member.post(
        "/for-you/start/rate", {"shown": shown[2:3], f"rate-{shown[2]}": "up", "then": "again"}
    )
    assert response["Location"] == "/for-you/start/rate"


def test_bad_uploads_say_why_and_save_nothing(member, ada, catalogue):
    def upload(name: str, data: bytes) -> str:
        response = member.post(
            "/for-you/start/papers/upload", {"library": SimpleUploadedFile(name, data)}, follow=True
        )
        assert response.status_code == 200
        return response.content.decode()

    assert "The file is empty" in upload("empty.bib", b"")
    assert "not a text file" in upload("photo.bib", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert "larger than 5 MB" in upload("huge.bib", b"@misc{a, title={x}}\n" * (MAX_BYTES // 20 + 10))
    assert "does not look like a BibTeX, RIS or Zotero CSV" in upload("notes.txt", b"my favourite papers")
    response = member.post("/for-you/start/papers/upload", {}, follow=True)
    assert "Choose a file to import" in response.content.decode()
    assert not Save.objects.exists()


def test_account_page_links_to_the_start(member):
    assert 'href="/for-you/start"' in member.get(reverse("accounts:account")).content.decode()
