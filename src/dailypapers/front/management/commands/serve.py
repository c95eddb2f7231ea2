"""`dailypapers serve`: migrate, load the demo on an empty home, and serve with gunicorn."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

from dailypapers.core import env
from dailypapers.core.schema import ensure_schema
from dailypapers.papers.models import Paper

MAX_HEADER_BYTES = 64 * 1024  # one header line (gunicorn's default is 8,190)


class Command(BaseCommand):
    help = "Run the site with a production web server (gunicorn), on localhost unless told otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument(
            "--no-demo", action="store_true", help="do not load the demo papers into an empty site"
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="also fetch new papers from arXiv, every 30 minutes, in a worker beside the server",
        )

    def handle(
        self, *args, host: str, port: int, workers: int, threads: int, no_demo: bool, sync: bool, **options
    ) -> None:
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        _check_free(host, port)
        shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, bind.rsplit(":", 1)[0])
        address = f"http://{shown}:{port}"
        if not env.is_set("SITE_URL"):
            _use_site_url(address)
            self.stdout.write(
                f"Links in e-mails and feeds point at {address} (set DAILYPAPERS_SITE_URL to change them)."
            )

        ensure_schema(report=self.stdout.write)
        if not no_demo and not Paper.objects.exists():
            from dailypapers.sources.demo import load_demo

            self.stdout.write("Empty site: loading the demo papers…")
            # The search app indexes them beside the server (too many to wait for), so the site
            # answers at once: keywords within a second or two, then the embeddings.
            result = load_demo()
            self.stdout.write(f"Loaded {result.new} papers on {result.listings_new} feed listings.")
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        if host not in {"127.0.0.1", "localhost", "::1"} and host not in settings.ALLOWED_HOSTS:
            self.stderr.write(
                f"Note: listening on {host}; add the names readers use to DAILYPAPERS_ALLOWED_HOSTS."
            )
        # Workers are forked: none may inherit the connection the checks above opened.
        connections.close_all()
        if sync:
            # A process of its own: a failing source or a slow harvest never touches the web server.
            worker = subprocess.Popen([sys.executable, "-m", "dailypapers", "sync", "--loop"])
            atexit.register(worker.terminate)
            self.stdout.write(f"Fetching new papers from arXiv every 30 minutes (worker pid {worker.pid}).")

        if sync and settings.STARS_WORKER:
            # Papers' code links and their stars, from GitHub: where the site reaches the internet.
            counter = subprocess.Popen([sys.executable, "-m", "dailypapers", "stars", "--loop"])
            atexit.register(counter.terminate)
            self.stdout.write(f"Counting the stars of papers' code on GitHub (worker pid {counter.pid}).")

        if sync and settings.THUMBNAIL_WORKER:
            # First pages of the feed's papers, from arXiv: only where the site fetches from arXiv at
            # all (the demo and an offline site show generated covers).
            drawer = subprocess.Popen([sys.executable, "-m", "dailypapers", "thumbnails", "--loop"])
            atexit.register(drawer.terminate)
            self.stdout.write(f"Drawing thumbnails of the feed's papers (worker pid {drawer.pid}).")

        if settings.RECOMMEND_WORKER:
            # Members' "For you" models are retrained here as their signals change; a page that finds
            # a member's model out of date before the worker gets to it trains it itself.
            trainer = subprocess.Popen([sys.executable, "-m", "dailypapers", "recommend", "--loop"])
            atexit.register(trainer.terminate)
            self.stdout.write(f"Members' recommendations are kept up to date (worker pid {trainer.pid}).")

        if settings.SEARCH_FOLLOW:
            # Papers changed through other nodes sharing the database reach this node's index.
            follower = subprocess.Popen([sys.executable, "-m", "dailypapers", "index", "--follow"])
            atexit.register(follower.terminate)
            self.stdout.write(f"The search index follows the database (follower pid {follower.pid}).")

        self.stdout.write(f"{settings.SITE_NAME} is running at {address}/ (Ctrl-C to stop)")
        self.stdout.flush()
        _Gunicorn(
            {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
                "errorlog": "-",
                "graceful_timeout": 10,
                "proc_name": "dailypapers",
                "control_socket_disable": True,
                # Long addresses reach the site, which answers them itself (a search cut to its first
                # 1,000 characters with a notice, a JSON 400 from the API), rather than gunicorn's bare
                # "414 URI Too Long" after 4,094 bytes. Gunicorn takes no line limit above 8,190 but 0,
                # "unlimited", and a pasted abstract percent-encodes past that; its headers may then carry
                # the address too (htmx's HX-Current-URL), so they get room to match.
                "limit_request_line": 0,
                "limit_request_field_size": MAX_HEADER_BYTES,
            }
        ).run()


def _use_site_url(address: str) -> None:
    """This server's address stands for DAILYPAPERS_SITE_URL: in the forked web workers (they inherit
    the settings) and in the processes started beside them (they read the environment)."""
    settings.SITE_URL = address
    os.environ["DAILYPAPERS_SITE_URL"] = address


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror}. Is another server running?"
            ) from None


class _Gunicorn(BaseApplication):
    """Gunicorn run in-process, configured from our options rather than a config file."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # control_socket_disable exists only from gunicorn 24
                self.cfg.set(key, value)

    def load(self):
        from dailypapers.wsgi import application

        return application
