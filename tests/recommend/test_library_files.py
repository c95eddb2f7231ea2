"""Reading exported libraries (recommend.library_files): the shapes Zotero, Google Scholar, EndNote and
Zotero's CSV export give them, and files that are not libraries at all. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

from dailypapers.recommend.library_files import (
    MAX_BYTES,
    LibraryFileError,
    arxiv_ids_in,
    clean_doi,
    read_library,
)

FILES = Path(__file__).parent / "files"


def read(name: str):
    return read_library((FILES / name).read_bytes(), name)


def test_zotero_bibtex_export_gives_ids_from_eprint_url_note_and_arxiv_doi():
    parsed = read("zotero.bib")
    assert parsed.format == "bibtex" and parsed.skipped == []
    refs = {r.label: r for r in parsed.references}
    assert len(refs) == 5
    # Zotero's own export: the id in the URL, the note and arXiv's DataCite DOI (not kept as a DOI).
    attention = refs["Attention Is All You Need"]
    assert attention.arxiv_ids == ["1706.03762"] and attention.dois == []
    # eprint + archivePrefix (Better BibTeX), eprint + eprinttype (biblatex), old-style ids.
    assert refs[
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    ].arxiv_ids == ["1810.04805"]
    maldacena = refs["The Large N Limit of Superconformal Field Theories and Supergravity"]
    assert maldacena.arxiv_ids == ["hep-th/9711200"] and maldacena.dois == ["10.1023/a:1026654312961"]
    ligo = refs["Observation of Gravitational Waves from a Binary Black Hole Merger"]
    assert ligo.arxiv_ids == [] and ligo.dois == ["10.1103/physrevlett.116.061102"]
    book = refs["Pattern Recognition and Machine Learning"]
    assert (
        book.arxiv_ids == []
        and book.dois == []
        and book.title == "Pattern {Recognition} and {Machine} {Learning}"
    )


def test_google_scholar_bibtex_has_titles_and_arxiv_preprint_journals():
    parsed = read("scholar.bib")
    assert [r.arxiv_ids for r in parsed.references] == [[], ["1412.6980"], [], [], [], []]
    assert parsed.references[0].title == "Deep residual learning for image recognition"
    assert parsed.references[3].label.startswith("Caf\\'e au lait")  # braces gone from the label


def test_ris_with_do_ur_and_notes_and_a_record_cut_short():
    parsed = read("library.ris")
    assert parsed.format == "ris"
    assert [(r.label, r.arxiv_ids, r.dois) for r in parsed.references] == [
        (
            "Observation of Gravitational Waves from a Binary Black Hole Merger",
            [],
            ["10.1103/physrevlett.116.061102"],
        ),
        ("LoRA: Low-Rank Adaptation of Large Language Models", ["2106.09685"], []),
        ("Distilling the knowledge in a neural network", ["1503.02531"], []),  # T1 and an L1 PDF link
        ("Pattern Recognition and Machine Learning", [], []),
    ]
    assert parsed.skipped == ["line 43: an entry with no end (ER) was left out; the file may be cut short"]


def test_zotero_csv_with_bom_crlf_and_multiline_cells():
    parsed = read("zotero.csv")
    assert parsed.format == "csv" and parsed.skipped == []
    assert [(r.arxiv_ids, r.dois) for r in parsed.references] == [
        (["2312.00752"], []),  # Url, Extra and arXiv's DOI agree
        ([], ["10.1023/a:1026654312961"]),
        (["2005.14165"], []),  # only Zotero's Extra field ("arXiv: 2005.14165") names it
        ([], ["10.18653/v1/n19-1423"]),
        ([], []),
    ]
    assert parsed.references[3].title.startswith("BERT: Pre-training")


def test_arxiv_ids_are_read_only_where_the_text_says_arxiv():
    assert arxiv_ids_in("arXiv preprint arXiv:1810.04805") == ["1810.04805"]
    assert arxiv_ids_in("arXiv: 2406.01234v2 [cs.CL]") == ["2406.01234"]
    assert arxiv_ids_in("https://arxiv.org/pdf/1706.03762v5.pdf") == ["1706.03762"]
    assert arxiv_ids_in("arXiv:hep-th/9711200 and arXiv:math.AG/0309136") == [
        "hep-th/9711200",
        "math.AG/0309136",
    ]
    assert arxiv_ids_in("10.48550/arXiv.2312.00752") == ["2312.00752"]
    assert arxiv_ids_in("pages 1706.03762 of volume 12") == []  # a number is not an id
    assert arxiv_ids_in("arXiv:0512.12345") == []  # new-style ids began in April 2007
    assert clean_doi("https://doi.org/10.1103/PhysRevLett.116.061102.") == "10.1103/physrevlett.116.061102"
    assert clean_doi("doi: 10.1000/XYZ") == "10.1000/xyz" and clean_doi("none") == ""


def test_malformed_bibtex_entries_are_skipped_and_named_and_the_rest_read():
    text = (
        b"@article{good1, title={Good one}, eprint={2401.00001}, archivePrefix={arXiv}}\n"
        b"@article{broken, title={Never closed, author={X}\n"
        b"@article{good2, title={Good two}, doi={10.1/abc}}\n"
        b"@article{good1, title={Same key again}, eprint={2401.00003}}\n"
        b"@string{acm = {ACM}}\n@comment{ignored}\n"
    )
    parsed = read_library(text, "mixed.bib")
    assert [r.label for r in parsed.references] == ["Good one", "Good two", "Same key again"]
    assert len(parsed.skipped) == 1 and parsed.skipped[0].startswith("line 2: “@article{broken")


def test_an_eprint_of_another_archive_is_not_an_arxiv_id():
    text = b"@article{x, title={Something}, eprint={2401.00001}, eprinttype={hdl}}"
    assert read_library(text, "x.bib").references[0].arxiv_ids == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.bib", "The file is empty"),
        (b"   \n\n", "blank.ris", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "picture.bib", "not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "library.docx", "not a text file"),
        (b"Just some notes about papers I liked.\n", "notes.txt", "does not look like"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "paper.pdf", "does not look like"),
        (b"@article{broken, title={Never closed\n", "bad.bib", "None of the 1 entries"),
        (b"@comment{nothing but a comment}\n@article{", "only.bib", "could be read"),
        (b'"Key","Author"\n"A","B"\n', "x.csv", "does not look like"),
        (b"TY  - JOUR\nTI  - cut short\n", "cut.ris", "None of the 1 entries"),
        (b"x" * (MAX_BYTES + 1), "huge.bib", "larger than 5 MB"),
    ],
)
def test_files_that_cannot_be_read_say_why(data, name, message):
    with pytest.raises(LibraryFileError, match=message):
        read_library(data, name)


def test_latin1_and_utf16_files_are_read():
    bib = "@article{a, title={Schrödinger’s cat revisited again}, doi={10.1000/ä}}\n"
    assert (
        read_library(bib.encode("cp1252"), "a.bib").references[0].title == "Schrödinger’s cat revisited again"
    )
    assert read_library(bib.encode("utf-16"), "a.bib").references[0].dois == ["10.1000/ä"]


def test_format_comes_from_the_content_not_the_name():
    ris = (FILES / "library.ris").read_bytes()
    assert read_library(ris, "export.bib").format == "ris"
    assert read_library(ris, "").format == "ris"
