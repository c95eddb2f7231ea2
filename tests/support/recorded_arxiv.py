"""arXiv's services answering from recorded traffic (../shared/fixtures) through a ReplayServer: the API
by query, OAI-PMH as a two-page list, and the RSS day the sync replay serves with it."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlsplit

from tests.support.replay import FIXTURES, ReplayServer, Reply, Request
from tests.support.shared import need

# --- the API ---

API = FIXTURES / "arxiv-api"
# What a recorded answer is matched on; sortBy/sortOrder must also agree when the client sends them.
MATCHED = ("id_list", "search_query", "start", "max_results")
ORDER = ("sortBy", "sortOrder")
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=UTF-8"}


def recorded() -> list[tuple[dict[str, str], int, bytes]]:
    need(API.is_dir(), f"the recorded arXiv API traffic is not at {API}")
    answers = []
    for path in sorted(API.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        query = {k: v[-1] for k, v in parse_qs(urlsplit(record["url"]).query, keep_blank_values=True).items()}
        # The recorder decoded arXiv's UTF-8 as Latin-1 (its bodies read "Dirk WÃ¼bben"): encoding
        # back to Latin-1 gives the very bytes arXiv sent.
        answers.append((query, record["status_code"], record["body"].encode("latin-1")))
    return answers


def body(fixture_name: str) -> bytes:
    path = API / fixture_name
    need(path.is_file(), f"the recorded arXiv API traffic is not at {path}")
    return json.loads(path.read_text(encoding="utf-8"))["body"].encode("latin-1")


def replay_arxiv_api(answers: list[tuple[dict[str, str], int, bytes]]):
    """Answer a request with the recorded answer to the same query; 404 when none was recorded."""

    def handle(request: Request) -> Reply:
        for query, status, content in answers:
            if all(request.query.get(k, "") == query.get(k, "") for k in MATCHED) and all(
                request.query[k] == query.get(k) for k in ORDER if k in request.query
            ):
                return Reply(content, status, ATOM_TYPE)
        return Reply(b"no recorded answer to this query", 404, {"Content-Type": "text/plain"})

    return handle


def arxiv_replay(replay_server: ReplayServer, settings) -> ReplayServer:
    """Point the arXiv API at recorded answers, with no polite delay."""
    settings.ARXIV_API_URL = replay_server.url + "/api/query"
    settings.ARXIV_DELAY = 0
    replay_server.route("/api/query", replay_arxiv_api(recorded()))
    return replay_server


# --- OAI-PMH ---

OAI = FIXTURES / "oai-pmh"
RAW = OAI / "arXivRaw"
# The recorded ListRecords page (6 arXivRaw records) ends with this token.
TOKEN = "726959|1001"
PAGE_1_KEPT = ["0704.0471", "0704.0716", "0704.1586"]  # nucl-ex nucl-th / math-ph math.MP / nucl-th
ALL_KEPT = [*PAGE_1_KEPT, "1302.2146"]  # hep-ph hep-ex


def page_1() -> bytes:
    return (RAW / "ListRecordsResponse.xml").read_bytes()


def page_2() -> bytes:
    """The list's second and last page: the record of the recorded arXivRaw GetRecord response
    (1302.2146), served inside ListRecords with the empty resumptionToken that closes a list."""
    text = (RAW / "GetRecordResponse.xml").read_text()
    text = text.replace("<GetRecord>", "<ListRecords>").replace(
        "</GetRecord>", '<resumptionToken cursor="6" completeListSize="7"></resumptionToken></ListRecords>'
    )
    return text.encode()


def error(name: str, status: int = 200) -> Reply:
    return Reply((RAW / f"ErrorResponse{name}.xml").read_bytes(), status)


class TwoPages:
    """Answers ListRecords like arXiv with a two-page list, for whatever set is asked (the recorded list
    was harvested without a set). With `block`, the first request for page 2 waits for `release`."""

    def __init__(self, block: bool = False) -> None:
        self.page_2_requested = threading.Event()
        self.release = threading.Event()
        if not block:
            self.release.set()

    def __call__(self, request: Request) -> Reply:
        query = request.query
        if query.get("verb") != "ListRecords":
            return error("BadVerb")
        token = query.get("resumptionToken")
        if token is None:
            return Reply(page_1())
        if token == TOKEN:
            self.page_2_requested.set()
            self.release.wait(timeout=120)
            return Reply(page_2())
        return error("BadResumptionToken")


# --- the sync's replay: an RSS day and the OAI list (the `arxiv` fixture) ---

RSS_PATH = "/rss/nucl-th+math-ph+hep-ex+cs.CL"
# The two-page OAI list's categories (three sets) and a category of the recorded RSS day.
CATEGORIES = "nucl-th math-ph hep-ex cs.CL"
