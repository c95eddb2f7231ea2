"""While the database is away (a restart, a failover), answer 503 with Retry-After, not 500.

`DatabaseUnavailableMiddleware` turns an error that means "the database cannot be reached" into a
503: JSON (`{"error": ..., "code": "database_unavailable"}`) under /api/, a short plain page
elsewhere, with `Retry-After`. Only those errors: a missing table or a bad query is still a 500.
It catches what views raise (process_exception) and, through Django's got_request_exception
signal, what other middleware raise (a session saved after the view). It sits low on purpose: it
needs nothing above core, and it renders without the database or any template context.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

log = logging.getLogger("dailypapers")
RETRY_AFTER = 5  # seconds: a PostgreSQL restart takes about that long
# SQLite: another process holds the write lock past busy_timeout, or the file cannot be opened.
SQLITE_UNAVAILABLE = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR"}
# PostgreSQL SQLSTATEs: admin/crash shutdown, cannot connect now, too many connections.
POSTGRES_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` means the database cannot be reached for now (as opposed to a bug)."""
    if isinstance(exc, InterfaceError):
        return True  # "connection already closed": the server went away under us
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorname", "") in SQLITE_UNAVAILABLE or "locked" in str(cause)
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg gives no SQLSTATE when it could not connect or the connection broke; class 08 is
    # the server's own "connection exception".
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in POSTGRES_UNAVAILABLE


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = f"The database is unavailable for a moment. Try again in {RETRY_AFTER} s."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"error": message, "code": "database_unavailable"}, status=503)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Retry-After"
    else:
        site = escape(settings.SITE_NAME)
        response = HttpResponse(
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width'><title>Back in a moment · {site}</title>"
            f"<h1>Back in a moment</h1><p>{site} cannot reach its database just now. "
            f"Please reload the page in a few seconds.</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_database_unavailable", False):
            return unavailable_response(request)  # raised by a middleware below, after the view
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        _log(request, exception)
        return unavailable_response(request)


def _log(request: HttpRequest, exception: BaseException) -> None:
    # One line, no traceback: the cause is outside the code, and an outage would flood the log.
    log.warning(
        "database unavailable: %s %s: %s: %s",
        request.method,
        request.path,
        type(exception).__name__,
        " ".join(str(exception).split())[:300],
    )


def _note_unavailable(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    exc = sys.exc_info()[1]
    if request is not None and database_unavailable(exc):
        request._database_unavailable = True
        _log(request, exc)


got_request_exception.connect(_note_unavailable, dispatch_uid="dailypapers-database-unavailable")
