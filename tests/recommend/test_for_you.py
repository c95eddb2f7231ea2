""" "For you": each signal's effect on a member's ranking of a feed day (saves, upvotes, ratings, not
interested, follows of authors, categories and members, mutes, the mix), and the page that shows it.

The catalogue is four subjects far apart (tests/recommend/corpus.py), embedded by the real search
model; the member's signals are given through the models' own methods, and the model is the real
one, trained the first time the ranking is read (no worker runs here)."""

from __future__ import annotations

import re

import pytest

from dailypapers.community.models import Upvote
from dailypapers.papers.models import Listing
from dailypapers.papers.periods import Period
from dailypapers.recommend.models import Dismissal, Follow, Mute, Rating, Save, Taste
from dailypapers.recommend.ranking import for_you
from tests.recommend import corpus
from tests.recommend.corpus import arxiv_id
from tests.support.factories import add_user

pytestmark = pytest.mark.django_db
DAY = Period.day(corpus.DAY)


@pytest.fixture
def papers():
    return corpus.load()


@pytest.fixture
def ada():
    return add_user("ada")


def ranked(user, period: Period = DAY) -> list[str]:
    return [pick.paper.arxiv_id for pick in for_you(user, period).picks]


def topics(user, period: Period = DAY) -> list[str]:
    return [corpus.topic_of(pick.paper) for pick in for_you(user, period).picks]


def earlier(papers, topic: str) -> list:
    """The topic's two papers of the earlier day: what members read before the ranked day."""
    return [papers[arxiv_id(topic, 3)], papers[arxiv_id(topic, 4)]]


def community_order(period: Period = DAY) -> list[str]:
    listings = Listing.objects.visible().between(period.start, period.end).latest_per_paper().ranked("votes")
    return [listing.paper.arxiv_id for listing in listings]


def test_a_member_with_no_signal_gets_the_community_order(ada, papers):
    ranking = for_you(ada, DAY)
    assert ranking.cold and not ranking.hidden
    assert [p.paper.arxiv_id for p in ranking.picks] == community_order()
    assert len(ranking.picks) == 12


@pytest.mark.parametrize("topic", ["protein", "robots"])
def test_saving_papers_raises_similar_papers(ada, papers, topic):
    for paper in earlier(papers, topic):
        Save.add(ada, paper)
    assert topics(ada)[:3] == [topic] * 3


def upvote(user, paper, capture) -> None:
    """Vote as the site does; the taste hears of it once the vote commits (run here at once)."""
    with capture(execute=True):
        Upvote.toggle(user, paper, on=True)


def test_upvoting_papers_raises_similar_papers(ada, papers, django_capture_on_commit_callbacks):
    for paper in earlier(papers, "speech"):
        upvote(ada, paper, django_capture_on_commit_callbacks)
    assert topics(ada)[:3] == ["speech"] * 3


def test_rating_papers_up_raises_them_and_down_lowers_them(ada, papers):
    for paper in earlier(papers, "galaxies"):
        Rating.rate(ada, paper, Rating.UP)
    Rating.rate(ada, papers[arxiv_id("protein", 3)], Rating.DOWN)
    order = topics(ada)
    assert order[:3] == ["galaxies"] * 3
    assert order[-3:].count("protein") >= 2


def test_not_interested_hides_the_paper_and_lowers_similar_ones(ada, papers):
    Save.add(ada, papers[arxiv_id("protein", 3)])
    Save.add(ada, papers[arxiv_id("speech", 3)])
    before = for_you(ada, DAY)
    speech_before = {
        p.paper.arxiv_id: p.personal_rank for p in before.picks if corpus.topic_of(p.paper) == "speech"
    }
    hidden = papers[arxiv_id("speech", 0)]
    Dismissal.add(ada, hidden)
    Dismissal.add(ada, papers[arxiv_id("speech", 4)])
    after = for_you(ada, DAY)
    assert hidden.arxiv_id not in [p.paper.arxiv_id for p in after.picks]
    assert after.hidden == 1 and len(after.picks) == 11
    speech_after = {
        p.paper.arxiv_id: p.personal_rank for p in after.picks if corpus.topic_of(p.paper) == "speech"
    }
    # The other papers of the dismissed subject fall by the member's taste; the saved subject leads.
    assert all(speech_after[ref] >= speech_before[ref] for ref in speech_after)
    assert any(speech_after[ref] > speech_before[ref] for ref in speech_after)
    by_taste = sorted(after.picks, key=lambda p: p.personal_rank)
    assert corpus.topic_of(by_taste[0].paper) == "protein"
    assert [corpus.topic_of(p.paper) for p in by_taste][:3].count("protein") >= 2


def test_a_followed_author_raises_their_papers(ada, papers):
    Follow.add(ada, Follow.Kind.AUTHOR, "VERA  rubin")  # any spelling
    order = ranked(ada)
    # Vera Rubin wrote the galaxies papers 0 and 2 of the day (corpus.AUTHORS, in turn).
    assert set(order[:2]) == {arxiv_id("galaxies", 0), arxiv_id("galaxies", 2)}


def test_a_followed_category_raises_its_papers(ada, papers):
    Follow.add(ada, Follow.Kind.CATEGORY, "cs.ro")
    assert topics(ada)[:3] == ["robots"] * 3


def test_a_followed_members_upvotes_count_for_a_little(ada, papers, django_capture_on_commit_callbacks):
    bob = add_user("bob")
    for paper in earlier(papers, "galaxies"):
        upvote(bob, paper, django_capture_on_commit_callbacks)
    Follow.add(ada, Follow.Kind.MEMBER, "Bob")
    assert topics(ada)[:3] == ["galaxies"] * 3
    # Bob's newer upvote reaches his follower's ranking: it marks her taste due.
    Taste.objects.filter(user=ada).update(trained_at=None)
    for_you(ada, DAY)
    trained = Taste.objects.get(user=ada).trained_at
    upvote(bob, papers[arxiv_id("robots", 3)], django_capture_on_commit_callbacks)
    assert Taste.objects.get(user=ada).signals_changed_at > trained


def test_mutes_take_papers_out_after_ranking_and_move_nothing_else(ada, papers):
    Save.add(ada, papers[arxiv_id("protein", 3)])
    Save.add(ada, papers[arxiv_id("robots", 4)])
    before = ranked(ada)
    Mute.add(ada, Mute.Kind.CATEGORY, "q-bio.BM")
    after = for_you(ada, DAY)
    assert [p.paper.arxiv_id for p in after.picks] == [r for r in before if not r.startswith("2606.10")]
    assert after.hidden == 3
    Mute.add(ada, Mute.Kind.KEYWORD, "Far-Field  AUDIO")  # whole words, any case
    Mute.add(ada, Mute.Kind.KEYWORD, "stream")  # not in "Streaming": whole words only
    Mute.add(ada, Mute.Kind.AUTHOR, "rodney brooks")
    left = ranked(ada)
    assert arxiv_id("speech", 0) not in left
    assert arxiv_id("speech", 1) in left and arxiv_id("speech", 2) in left
    assert arxiv_id("robots", 0) not in left and arxiv_id("robots", 2) not in left  # Brooks's
    assert arxiv_id("robots", 1) in left
    assert left == [r for r in before if r in left]


def test_a_muted_phrase_is_found_across_a_line_break(ada, papers):
    # Abstracts keep their source's line breaks: "fold into\nthree-dimensional" is the phrase still.
    wrapped = papers[arxiv_id("protein", 1)]
    wrapped.abstract = wrapped.abstract.replace("into three-dimensional", "into\n  three-dimensional")
    wrapped.save(update_fields=["abstract"])
    Save.add(ada, papers[arxiv_id("robots", 4)])
    Mute.add(ada, Mute.Kind.KEYWORD, "fold into three-dimensional")
    left = ranked(ada)
    assert not {arxiv_id("protein", n) for n in range(3)} & set(left) and len(left) == 9


def test_the_mix_weighs_the_member_against_the_community(ada):
    votes = {
        arxiv_id(t, n): v for v, (t, n) in enumerate([(t, n) for t in corpus.TOPICS for n in range(3)], 1)
    }
    papers = corpus.load(votes)
    for paper in earlier(papers, "protein"):  # protein: the fewest votes of the day
        Save.add(ada, paper)
    taste = Taste.of(ada)
    taste.set_mix(0)
    assert ranked(ada) == community_order()
    taste.set_mix(1)
    assert topics(ada)[:3] == ["protein"] * 3
    taste.set_mix(0.5)
    mixed = for_you(ada, DAY)
    assert all(
        abs(p.combined - (0.5 * p_share(p, mixed) + 0.5 * c_share(p, mixed))) < 1e-9 for p in mixed.picks
    )


def p_share(pick, ranking) -> float:
    return 1 - (pick.personal_rank - 1) / (ranking.candidates - 1)


def c_share(pick, ranking) -> float:
    return 1 - (pick.community_rank - 1) / (ranking.candidates - 1)


def test_a_new_signal_shows_on_the_next_read_without_a_worker(ada, papers):
    Save.add(ada, papers[arxiv_id("protein", 3)])
    assert topics(ada)[0] == "protein"
    for paper in earlier(papers, "galaxies"):
        Save.add(ada, paper)
    Save.remove(ada, papers[arxiv_id("protein", 3)])
    assert topics(ada)[:3] == ["galaxies"] * 3


def test_the_reset_makes_the_member_cold_again(ada, papers):
    from dailypapers.recommend.models import forget_everything

    Save.add(ada, papers[arxiv_id("protein", 3)])
    assert not for_you(ada, DAY).cold
    forget_everything(ada)
    assert for_you(ada, DAY).cold


# --- the page ---------------------------------------------------------------------------------------------


def _cards(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title" id="t-\d+"><a href="/papers/([^"]+)"', html)


def test_the_page_asks_strangers_to_sign_in(client, papers):
    response = client.get("/for-you")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=/for-you")
    assert client.get("/for-you/date/2026-06-19").status_code == 302


def test_the_page_ranks_for_the_member_and_says_why(client, ada, papers):
    for paper in earlier(papers, "robots"):
        Save.add(ada, paper)
    client.force_login(ada)
    response = client.get("/for-you")  # the latest day with papers
    assert response.status_code == 200
    html = response.content.decode()
    assert {corpus.topic_of(papers[ref]) for ref in _cards(html)[:3]} == {"robots"}
    assert _cards(html) == ranked(ada)
    why = re.search(r'<details class="why"><summary>Why here\?</summary>(.*?)</details>', html, re.S)[1]
    assert "Your taste puts it 1st of 12" in why
    assert "Close to “" in why and "(you saved it)" in why
    assert 'href="/papers/date/2026-06-19"' in html  # the community's order of the same day
    # The same spans as the feed, under /for-you.
    week = client.get("/for-you/week/2026-W25")
    assert week.status_code == 200 and len(_cards(week.content.decode())) == 12
    month = client.get("/for-you/month/2026-06")  # the earlier day too: the saved papers ranked
    assert month.status_code == 200 and len(_cards(month.content.decode())) == 20
    assert client.get("/for-you/week")["Location"] == "/for-you/week/2026-W25"
    assert client.get("/for-you/month")["Location"] == "/for-you/month/2026-06"
    assert client.get("/for-you/date/2026-02-30").status_code == 404
    assert client.get("/for-you/week/2026-W60").status_code == 404
    # The community's feed links here for members.
    assert 'href="/for-you/date/2026-06-19"' in client.get("/papers/date/2026-06-19").content.decode()


def test_why_here_names_followed_authors_as_the_paper_writes_them(client, ada, papers):
    # The page reads only the authors its cards show; the names "Why here?" gives come with the
    # span's papers as the ranking keeps them.
    Follow.add(ada, Follow.Kind.AUTHOR, "VERA  rubin")
    client.force_login(ada)
    html = client.get("/for-you/date/2026-06-19").content.decode()
    assert html.count("By Vera Rubin, whose papers you like or follow.") == 2
    ranking = for_you(ada, DAY)
    picks = ranking.load(page=True)
    ranking.explain(picks)
    assert (
        sum(
            "By Vera Rubin, whose papers you like or follow." in p.listing.placement.sentences()
            for p in picks
        )
        == 2
    )


def test_why_here_says_a_paper_of_ones_own_is_ones_own_not_close_to_itself(ada, papers):
    for paper in earlier(papers, "robots"):
        Save.add(ada, paper)
    own, liked = papers[arxiv_id("robots", 0)], papers[arxiv_id("robots", 1)]
    Save.add(ada, own)
    Upvote.objects.create(user=ada, paper=liked)
    ranking = for_you(ada, DAY)
    picks = ranking.load()
    ranking.explain(picks)
    why = {p.paper.arxiv_id: " ".join(p.listing.placement.sentences()) for p in picks}
    assert "You saved it." in why[own.arxiv_id] and f"“{own.title}”" not in why[own.arxiv_id]
    assert "Close to “" in why[own.arxiv_id]  # its neighbours in the library are still named
    assert "You upvoted it." in why[liked.arxiv_id] and f"“{liked.title}”" not in why[liked.arxiv_id]
    other = arxiv_id("robots", 2)
    assert "You saved it." not in why[other] and f"“{own.title}” (you saved it)" in why[other]


def test_a_model_stored_by_an_earlier_version_is_trained_again_on_the_next_read(ada, papers):
    # Version 1 counted the parts of links as words ("https", "github"): its models are not read.
    import datetime as dt
    import json

    from dailypapers.recommend import learning

    for paper in earlier(papers, "robots"):
        Save.add(ada, paper)
    for_you(ada, DAY)
    taste = Taste.objects.get(user=ada)
    old = json.loads(bytes(taste.model))
    old.update(version=1, terms={"https": 9.0, "github": 8.0})
    # As an earlier version stored it: another model, another time (the decoded models kept are keyed by it).
    later = taste.trained_at + dt.timedelta(seconds=1)
    Taste.objects.filter(pk=taste.pk).update(model=json.dumps(old).encode(), trained_at=later)
    ranking = for_you(ada, DAY)
    assert not ranking.cold and not {"https", "github"} & set(ranking.model.terms)
    stored = json.loads(bytes(Taste.objects.get(user=ada).model))
    assert stored["version"] == learning.MODEL_VERSION and "https" not in stored["terms"]


def test_a_cold_member_is_told_how_to_start(client, ada, papers):
    client.force_login(ada)
    html = client.get("/for-you/date/2026-06-19").content.decode()
    assert 'data-testid="for-you-cold"' in html and "save papers" in html
    assert _cards(html) == community_order()
    assert "Nothing is learned of your taste yet" in html


def test_hidden_papers_are_counted_on_the_page(client, ada, papers):
    Dismissal.add(ada, papers[arxiv_id("galaxies", 1)])
    client.force_login(ada)
    html = client.get("/for-you/date/2026-06-19").content.decode()
    assert arxiv_id("galaxies", 1) not in _cards(html) and "1 hidden" in html


def test_with_the_page_cache_each_member_has_their_own_copy_and_strangers_none(
    client, papers, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 60
    ada, bob = add_user("ada"), add_user("bob")
    with django_capture_on_commit_callbacks(execute=True):
        for paper in earlier(papers, "protein"):
            Save.add(ada, paper)
        for paper in earlier(papers, "galaxies"):
            Save.add(bob, paper)
    url = "/for-you/date/2026-06-19"
    client.force_login(ada)
    first = client.get(url)
    assert first["Cache-Control"] == "private, no-cache" and "Cookie" in first["Vary"]
    assert corpus.topic_of_id(_cards(first.content.decode())[0]) == "protein"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304  # her stored copy
    client.force_login(bob)
    assert corpus.topic_of_id(_cards(client.get(url).content.decode())[0]) == "galaxies"
    client.logout()
    assert client.get(url).status_code == 302  # never a member's copy, never a shared one
    # A new signal retires the member's copies (their own stamp): the next page shows it.
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        for paper in earlier(papers, "robots"):
            Save.add(ada, paper)
        for paper in earlier(papers, "protein"):
            Save.remove(ada, paper)
    assert corpus.topic_of_id(_cards(client.get(url).content.decode())[0]) == "robots"
