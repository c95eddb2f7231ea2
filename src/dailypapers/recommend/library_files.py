"""Reading a member's reference library, exported from another tool, into references to match
against the catalogue: BibTeX (.bib: Zotero, Mendeley, Google Scholar, arXiv's own), RIS (.ris:
Zotero, EndNote, Mendeley) and Zotero's CSV export.

Each entry becomes a `Reference`: the arXiv ids it names (an `eprint` field, an arXiv link, "arXiv:…"
in a journal, note or Zotero's Extra field, arXiv's own DOI 10.48550/arXiv.…), its DOIs and its
title. Matching them is recommend.onboarding's work; nothing here touches the database.

A file is refused whole (LibraryFileError, with a message for the member) when it is not text, not
one of these formats, or empty of entries; an entry that cannot be read is skipped and named in
`ParsedLibrary.skipped`, and the rest are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dailypapers.papers.arxiv_ids import parse_arxiv_id

MAX_BYTES = 5 * 1024 * 1024  # the largest file read (a library of about 10,000 entries)
MAX_ENTRIES = 10_000
LABEL_LENGTH = 120  # how much of an entry's title (or key) is shown when naming it

FORMATS = {"bibtex": "BibTeX", "ris": "RIS", "csv": "Zotero CSV"}


class LibraryFileError(ValueError):
    """The file cannot be read at all; str(exc) says why, for the member."""


@dataclass
class Reference:
    """One entry of a library, as much as matching needs of it."""

    label: str  # how the member recognises it: its title, else its key, with where it is
    arxiv_ids: list[str] = field(default_factory=list)  # bare ids, most trusted first
    dois: list[str] = field(default_factory=list)  # lower case, without any resolver prefix
    title: str = ""


@dataclass
class ParsedLibrary:
    format: str  # a key of FORMATS
    references: list[Reference]
    skipped: list[str] = field(default_factory=list)  # entries that could not be read, and why


# --- What an entry names ---------------------------------------------------------------------

# "arXiv:2406.01234", "arXiv: 2406.01234v2", "arXiv preprint arXiv:1810.04805", "arxiv.org/abs/…",
# "10.48550/arXiv.2406.01234", "arXiv:hep-th/9901001": an arXiv id only where the text says arXiv.
_ID_TEXT = r"\d{4}\.\d{4,5}(?:v\d{1,4})?|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}(?:v\d{1,4})?"
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf|html|format)/|(?:\s*preprint)?(?:\s*arxiv)?\s*[:/.]?\s*)"
    rf"(?P<ref>{_ID_TEXT})",
    re.IGNORECASE,
)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<ref>.+)$", re.IGNORECASE)


def arxiv_ids_in(text: str) -> list[str]:
    """The arXiv ids (bare, without version) that a piece of free text names as arXiv's."""
    found = []
    for match in _ARXIV_IN_TEXT.finditer(text or ""):
        ref = parse_arxiv_id(match.group("ref").removesuffix(".pdf"))
        if ref is not None:
            found.append(ref.id)
    return found


def clean_doi(text: str) -> str:
    """A DOI as matched: lower case (DOIs are case-insensitive), without "doi:" or a resolver's
    address, without trailing punctuation; "" when the text holds none."""
    match = _DOI.search((text or "").strip())
    if not match:
        return ""
    return match.group(1).rstrip(".,;)]}").lower()


def _reference(
    label: str, *, ids: Iterable[str] = (), texts: Iterable[str] = (), dois: Iterable[str] = (), title: str
) -> Reference:
    """A reference from an entry's fields: `ids` are fields meant to hold an arXiv id (an eprint),
    `texts` free text that may name one, `dois` fields that may hold a DOI."""
    arxiv: list[str] = []
    for value in ids:
        ref = parse_arxiv_id((value or "").strip())
        if ref is not None:
            arxiv.append(ref.id)
    clean_dois = []
    for value in dois:
        doi = clean_doi(value)
        if not doi:
            continue
        arxiv_doi = _ARXIV_DOI.match(doi)
        if arxiv_doi:  # arXiv's own DOI (DataCite) is its id in other words
            ref = parse_arxiv_id(arxiv_doi.group("ref"))
            if ref is not None:
                arxiv.append(ref.id)
                continue
        clean_dois.append(doi)
    for value in texts:
        arxiv.extend(arxiv_ids_in(value))
        if "doi.org/" in (value or "").lower():
            doi = clean_doi(value)
            if doi and not _ARXIV_DOI.match(doi):
                clean_dois.append(doi)
    title = " ".join((title or "").split())
    return Reference(
        label=label,
        arxiv_ids=list(dict.fromkeys(arxiv)),
        dois=list(dict.fromkeys(clean_dois)),
        title=title,
    )


def _label(title: str, fallback: str) -> str:
    title = " ".join((title or "").replace("{", "").replace("}", "").split())
    text = title or fallback
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


# --- Reading the file ------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), UTF-16 with one, else Windows-1252
    (older Windows tools); LibraryFileError for anything that is not text."""
    if not data.strip():
        raise LibraryFileError("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise LibraryFileError("The file could not be read as text.") from None
    else:
        if b"\x00" in data:
            raise LibraryFileError(
                "This is not a text file. Export your library as BibTeX (.bib), RIS (.ris) or CSV."
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise LibraryFileError(
                    "The file is neither UTF-8 nor Windows-1252 text. Export it again as UTF-8."
                ) from None
    controls = sum(1 for ch in text[:20_000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 10:
        raise LibraryFileError(
            "This is not a text file. Export your library as BibTeX (.bib), RIS (.ris) or CSV."
        )
    return text


_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  ?- ?", re.MULTILINE)
_BIB_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)


def sniff(text: str, filename: str = "") -> str:
    """Which format the text is in, from what it holds (the file's name only breaks a tie)."""
    head = text[:50_000]
    has_ris = re.search(r"^TY  ?- ?", head, re.MULTILINE) is not None
    has_bib = _BIB_ENTRY.search(head) is not None
    first_line = head.lstrip().split("\n", 1)[0]
    has_csv = "," in first_line and any(
        name.strip().strip('"').lower() == "title" for name in next(csv.reader([first_line]), [])
    )
    name = filename.lower()
    for fmt, present, endings in (
        ("csv", has_csv, (".csv",)),
        ("ris", has_ris, (".ris", ".txt")),
        ("bibtex", has_bib, (".bib", ".bibtex", ".txt")),
    ):
        if present and name.endswith(endings):
            return fmt
    if has_csv:
        return "csv"
    if has_ris:
        return "ris"
    if has_bib:
        return "bibtex"
    raise LibraryFileError(
        "This does not look like a BibTeX, RIS or Zotero CSV export: no entries were found in it."
    )


def read_library(data: bytes, filename: str = "") -> ParsedLibrary:
    """The references in an exported library file (bytes as uploaded)."""
    if len(data) > MAX_BYTES:
        raise LibraryFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    fmt = sniff(text, filename)
    references, skipped = {"bibtex": _read_bibtex, "ris": _read_ris, "csv": _read_csv}[fmt](text)
    if len(references) > MAX_ENTRIES:
        raise LibraryFileError(
            f"The file has {len(references):,} entries; at most {MAX_ENTRIES:,} are read at once. "
            "Export part of your library (a collection or folder) and import the parts one by one."
        )
    if not references:
        what = FORMATS[fmt]
        if skipped:
            raise LibraryFileError(
                f"None of the {len(skipped)} entries of this {what} file could be read (the first: "
                f"{skipped[0]})."
            )
        raise LibraryFileError(f"This {what} file holds no entries.")
    return ParsedLibrary(fmt, references, skipped)


# --- BibTeX ----------------------------------------------------------------------------------

_BIB_ID_FIELDS = ("eprint", "arxivid", "arxiv", "eprintnumber")
_BIB_TEXT_FIELDS = (
    "url",
    "journal",
    "journaltitle",
    "note",
    "howpublished",
    "booktitle",
    "publisher",
    "archive",
    "annote",
    "annotation",
    "addendum",
    "pubstate",
)


def _read_bibtex(text: str) -> tuple[list[Reference], list[str]]:
    # bibtexparser 2: a tolerant parser that reports each block it could not read, with its line.
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    library = bibtexparser.parse_string(text)
    references: list[Reference] = []
    skipped: list[str] = []
    for block in library.blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            block = block.ignore_error_block  # two entries with one key: both are papers all the same
        elif isinstance(block, ParsingFailedBlock):
            first = " ".join(block.raw.strip().split("\n", 1)[0].split())[:LABEL_LENGTH]
            skipped.append(f"line {block.start_line + 1}: “{first}” could not be read")
            continue
        if not isinstance(block, Entry):
            continue  # @string, @preamble, @comment, text between entries
        fields = {f.key.lower(): _bib_value(f.value) for f in block.fields}
        prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
        ids = [fields.get(name, "") for name in _BIB_ID_FIELDS if name != "eprint" or prefix == "arxiv"]
        title = fields.get("title", "")
        references.append(
            _reference(
                _label(title, f"@{block.entry_type}{{{block.key}}}"),
                ids=ids,
                texts=[fields.get(name, "") for name in _BIB_TEXT_FIELDS],
                dois=[fields.get("doi", "")],
                title=title,
            )
        )
    return references, skipped


def _bib_value(value: object) -> str:
    return value if isinstance(value, str) else str(value or "")


# --- RIS -------------------------------------------------------------------------------------


def _read_ris(text: str) -> tuple[list[Reference], list[str]]:
    # rispy knows the RIS tags (TI, T1, DO, UR, N1, …) and the list-valued ones; it is given one
    # record at a time, so that a broken record costs only itself and can be named.
    import rispy

    references: list[Reference] = []
    skipped: list[str] = []
    for start, lines, ended in _ris_records(text):
        if not ended:
            skipped.append(f"line {start}: an entry with no end (ER) was left out; the file may be cut short")
            continue
        try:
            records = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises plain errors of several kinds on bad records
            skipped.append(f"line {start}: could not be read ({_label(str(exc), 'bad entry')})")
            continue
        for record in records:
            title = _first(record, "title", "primary_title", "translated_title", "short_title")
            urls = _many(record, "urls", "link_to_pdf", "file_attachments1", "file_attachments2")
            texts = urls + _many(record, "notes", "custom1", "custom2", "accession_number", "call_number")
            texts += _many(record, "journal_name", "secondary_title", "publisher", "unknown_tag")
            references.append(
                _reference(
                    _label(title, f"entry at line {start}"),
                    ids=[],
                    texts=texts,
                    dois=_many(record, "doi"),
                    title=title,
                )
            )
    return references, skipped


def _ris_records(text: str) -> Iterable[tuple[int, list[str], bool]]:
    """(first line number, lines, whether it ended with ER) of each record from TY to ER."""
    lines: list[str] | None = None
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        tag = line[:2] if _RIS_TAG.match(line) else ""
        if tag == "TY":
            if lines is not None:
                yield start, lines, False
            lines, start = [line], number
        elif lines is not None:
            lines.append(line)
            if tag == "ER":
                yield start, lines, True
                lines = None
    if lines is not None:
        yield start, lines, False


def _first(record: dict, *keys: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value:
            return str(value)
    return ""


def _many(record: dict, *keys: str) -> list[str]:
    values: list[str] = []
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # unknown tags: {tag: [values]}
            values.extend(str(v) for vs in value.values() for v in vs)
        elif isinstance(value, list):
            values.extend(str(v) for v in value)
        elif value:
            values.append(str(value))
    return values


# --- Zotero CSV ------------------------------------------------------------------------------

_CSV_TEXT_COLUMNS = (
    "url",
    "extra",
    "archive id",
    "archive location",
    "publication title",
    "notes",
    "link attachments",
)


def _read_csv(text: str) -> tuple[list[Reference], list[str]]:
    # Zotero's columns ("Key","Item Type",…,"Title",…,"DOI","Url",…,"Extra",…); matched by name, in
    # any case, so that a spreadsheet with Title, DOI and URL columns is read too.
    references: list[Reference] = []
    skipped: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        raise LibraryFileError("The CSV file's first line (the column names) could not be read.") from None
    columns = {name: i for i, name in reversed(list(enumerate(header)))}
    if "title" not in columns:
        raise LibraryFileError("The CSV file has no “Title” column; export it from Zotero as CSV.")

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        return row[i] if i is not None and i < len(row) else ""

    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            skipped.append(f"line {line}: could not be read ({exc})")
            if len(skipped) > MAX_ENTRIES:
                break
            continue
        if not any(value.strip() for value in row):
            continue
        title = cell(row, "title")
        references.append(
            _reference(
                _label(title, f"row at line {line}"),
                ids=[],
                texts=[cell(row, name) for name in _CSV_TEXT_COLUMNS],
                dois=[cell(row, "doi")],
                title=title,
            )
        )
    return references, skipped
