"""One matching rule for categories, keywords and authors (papers.filters), in Python and in the database."""

from __future__ import annotations

import pytest

from dailypapers.papers.filters import PaperFilter, keyword_pattern
from dailypapers.papers.models import AutoListRule, Paper, prefetch_cards
from tests.support.factories import add_paper


def test_keyword_filter_matches_whole_words_in_any_case():
    f = PaperFilter.of(keywords=["  large   language ", "C++", "", "LLM"])
    assert f.keywords == ("large language", "C++", "LLM")
    assert f.mentions("Large\nLanguage models", None)
    assert f.mentions(None, "Written in C++, fast.")
    assert f.mentions("llm agents", "")
    assert not f.mentions("Largelanguage", "C++x and LLMs")  # whole words only
    assert not f.mentions("large", "language")  # a keyword lies in one field, not across two
    assert PaperFilter().mentions("anything", "") and PaperFilter.of(keywords=[" "]).keywords == ()


def test_author_and_category_criteria():
    f = PaperFilter.of(categories=["cs.CL", "cs.LG"], authors=["José  García", ""])
    assert f.authors == {"jose garcia"}
    assert f.by_authors(["jose garcia", "ada lovelace"]) and not f.by_authors(["ada lovelace"])
    assert f.in_categories(["stat.ML", "cs.LG"]) and not f.in_categories(["cs.CV"])
    assert not f.matches_fields(title="t", abstract="a", categories=["cs.CL"], author_keys=["ada"])
    assert f.matches_fields(title="t", abstract="a", categories=["cs.CL"], author_keys=["jose garcia"])
    assert not PaperFilter() and PaperFilter().matches_fields(
        title="", abstract="", categories=[], author_keys=[]
    )


@pytest.mark.django_db
def test_the_database_and_python_agree_on_keywords():
    texts = {
        "2608.19880": ("Large  Language Models", "An abstract."),
        "2608.19881": ("Parsing", "We use C++ here."),
        "2608.19882": ("Largelanguage", "C++x everywhere; LLMs."),
        "2608.19883": ("Straße networks", "Roads."),
    }
    for arxiv_id, (title, abstract) in texts.items():
        add_paper(arxiv_id, title, abstract=abstract)
    for keywords in (["large language"], ["c++"], ["llm"], ["straße"], ["STRASSE"], ["roads", "parsing"]):
        f = PaperFilter.of(keywords=keywords)
        in_db = set(Paper.objects.filter(f.keywords_q()).values_list("arxiv_id", flat=True))
        in_python = {i for i, (title, abstract) in texts.items() if f.mentions(title, abstract)}
        assert in_db == in_python, keywords
    assert keyword_pattern(["a b"]) == r"(?<!\w)(?:a\s+b)(?!\w)"


@pytest.mark.django_db
def test_matches_a_catalogued_paper_on_every_filled_criterion():
    add_paper("2608.19880", "Speech models", categories=["cs.CL"], authors=["Ada Lovelace"])
    paper = prefetch_cards(Paper.objects.all())[0]
    assert PaperFilter.of(categories=["cs.CL"], keywords=["speech"], authors=["ADA lovelace"]).matches(paper)
    assert not PaperFilter.of(categories=["cs.CL"], keywords=["vision"]).matches(paper)
    assert not PaperFilter.of(keywords=["speech"], authors=["Alan Turing"]).matches(paper)
    rule = AutoListRule(
        name="r", categories="cs.CL  cs.SD", keywords="speech\n\n  models \n", authors="Ada Lovelace\n"
    )
    assert rule.paper_filter == PaperFilter.of(["cs.CL", "cs.SD"], ["speech", "models"], ["ada lovelace"])
    assert rule.paper_filter.matches(paper)


def test_auto_listing_rules_and_digests_share_the_filter():
    import datetime as dt

    from dailypapers.digests.models import Subscription
    from dailypapers.sources.autolist import apply_rules, matches
    from dailypapers.sources.records import PaperRecord

    record = PaperRecord(
        arxiv_id="2608.19880",
        title="Fast C++ kernels",
        abstract="For large\nlanguage models.",
        authors=["José García"],
        categories=["cs.LG"],
        announced_on=dt.date(2026, 8, 21),
    )
    rule = AutoListRule(name="r", keywords="C++\nnothing  else", authors="jose GARCIA")
    subscription = Subscription(keywords="C++, nothing else", authors="jose GARCIA")
    assert rule.paper_filter == subscription.paper_filter
    assert matches(rule.paper_filter, record)
    assert not matches(PaperFilter.of(categories=["cs.CL"]), record)
    apply_rules([record], [PaperFilter.of(keywords=["large language"])])
    assert [(listing.day, listing.source) for listing in record.listings] == [(dt.date(2026, 8, 21), "auto")]
