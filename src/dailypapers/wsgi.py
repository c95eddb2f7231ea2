"""WSGI entry point, for granian (`dailypapers serve`) or any other WSGI server."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
_django = get_wsgi_application()

from dailypapers.core import door  # noqa: E402 (its models need the apps that line sets up)


def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
    signature = door.signature(environ)  # a shared copy answered before may answer again (core.door)
    if signature is not None:
        served = door.serve(signature, environ, start_response)
        if served is not None:
            return served
    response = _django(environ, start_response)
    if isinstance(response, HttpResponse):
        if signature is not None:
            door.record(signature, response)
        # A body already whole is handed over as a list of one: granian then sends it in one piece
        # with its length, rather than pulling it from an iterator through a channel, and the
        # response's close() (the request_finished signal) runs here, not in a second call back.
        body = response.content
        response.close()
        return [body]
    return response
