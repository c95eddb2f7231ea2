"""`/healthz`, for a load balancer: is this node fit to serve?

Checks, each cheap enough to run every second: the database answers `SELECT 1`; the cache takes a
value and gives it back; the search index has had a keyword pass since the newest paper arrived
(one primary-key lookup and one stat); each `--loop` worker that runs on this node beat on time.
JSON with every check; 200 when all pass, 503 naming the failing ones. The cache alone never makes
it a 503: the site keeps serving without it (limits fall back as the README says), and a shared
cache that is down must not make the balancer drop every node at once. Nothing secret is shown:
no addresses, no URLs, only the exception's class name.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from dailypapers.core import heartbeat
from dailypapers.papers.models import Paper
from dailypapers.search.indexing import last_keyword_pass


def _database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to answer is what this check reports
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _cache() -> dict:
    key, value = "dailypapers:healthz", secrets.token_hex(4)
    try:
        cache.set(key, value, 30)
        ok = cache.get(key) == value
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": ok} if ok else {"ok": False, "error": "a value set was not read back"}


def _search_index(now: float) -> dict:
    last_pass = last_keyword_pass()
    newest = Paper.objects.order_by("-id").values_list("added_at", flat=True).first()
    waiting = 0.0
    if newest is not None and (last_pass is None or newest.timestamp() > last_pass):
        waiting = max(0.0, now - newest.timestamp())
    return {
        "ok": waiting <= settings.HEALTH_INDEX_LAG,
        "last_pass_age_s": None if last_pass is None else round(now - last_pass, 1),
        "newest_paper_waiting_s": round(waiting, 1),
    }


def _workers() -> dict:
    return {
        name: {**beat, "ok": beat["overdue_s"] <= settings.HEALTH_HEARTBEAT_GRACE}
        for name, beat in heartbeat.read_all().items()
    }


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    now = time.time()
    checks: dict[str, dict] = {"database": _database(), "cache": _cache()}
    if checks["database"]["ok"]:
        checks["search_index"] = _search_index(now)
    checks["workers"] = _workers()
    failing = [name for name in ("database", "search_index") if not checks.get(name, {"ok": True})["ok"]]
    failing += [f"workers.{name}" for name, beat in checks["workers"].items() if not beat["ok"]]
    status = "failing" if failing else ("degraded" if not checks["cache"]["ok"] else "ok")
    body = {"status": status, "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
