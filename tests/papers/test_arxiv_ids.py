import pytest

from dailypapers.papers.arxiv_ids import ArxivRef, is_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2405.15738", ArxivRef("2405.15738")),
        ("2405.15738v2", ArxivRef("2405.15738", 2)),
        ("arXiv:2405.15738v3", ArxivRef("2405.15738", 3)),
        ("  https://arxiv.org/abs/2405.15738v2 ", ArxivRef("2405.15738", 2)),
        ("http://export.arxiv.org/abs/2405.15738", ArxivRef("2405.15738")),
        ("arxiv.org/pdf/2405.15738v2.pdf", ArxivRef("2405.15738", 2)),
        ("https://arxiv.org/html/2405.15738v1/", ArxivRef("2405.15738", 1)),
        ("https:/arxiv.org/abs/2405.15738?context=cs", ArxivRef("2405.15738")),  # a proxy merged the slashes
        ("https://huggingface.co/papers/2405.15738", ArxivRef("2405.15738")),
        ("0704.0001", ArxivRef("0704.0001")),
        ("1412.6980v9", ArxivRef("1412.6980", 9)),
        ("hep-th/9901001", ArxivRef("hep-th/9901001")),
        ("math.AG/0309136v2", ArxivRef("math.AG/0309136", 2)),
        ("https://arxiv.org/abs/cond-mat/0102536v1", ArxivRef("cond-mat/0102536", 1)),
    ],
)
def test_recognised(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2413.00001",
        "2405.1573",
        "1412.69801",
        "0612.0001",
        "2405.157381",
        "2405.15738v0",
        "../etc/passwd",
        "https://example.com/abs/2405.15738",
        "2405.15738 OR 1=1",
        "x" * 1000,
        None,
        2405.15738,
    ],
)
def test_rejected(text):
    assert parse_arxiv_id(text) is None


def test_is_arxiv_id_only_for_bare_ids():
    assert is_arxiv_id("2405.15738")
    assert not is_arxiv_id("2405.15738v2")
    assert not is_arxiv_id("arXiv:2405.15738")


def test_versioned_form():
    assert ArxivRef("2405.15738", 2).versioned == "2405.15738v2"
    assert ArxivRef("2405.15738").versioned == "2405.15738"
