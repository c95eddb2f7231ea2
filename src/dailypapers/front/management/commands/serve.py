"""`dailypapers serve`: migrate, load the demo on an empty home, and serve with granian."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from dailypapers.core import env
from dailypapers.core.schema import ensure_schema
from dailypapers.papers.models import Paper

# The server's own limits on an address: granian (hyper) answers 414 past 65,534 bytes, about 64 KB;
# anything shorter reaches the site, which answers it itself (a search cut to its first 1,000
# characters with a notice, a JSON 400 from the API naming the value).
MAX_ADDRESS_BYTES = 65_534
# A server whose workers keep dying (granian stops after a worker dies twice within 5.5 s) is started
# again, unless it ran for less than this: then something is wrong at start-up, and we stop with it.
RESTART_AFTER_SECONDS = 10.0


class Command(BaseCommand):
    help = "Run the site with a production web server (granian), on localhost unless told otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="print a line per request (off by default: a proxy in front usually logs them, and "
            "under load the lines cost about 5%% of the server's time)",
        )
        parser.add_argument(
            "--no-demo", action="store_true", help="do not load the demo papers into an empty site"
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="also fetch new papers from arXiv, every 30 minutes, in a worker beside the server",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        threads: int,
        access_log: bool,
        no_demo: bool,
        sync: bool,
        **options,
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
        _serve(host, port, workers, threads, access_log)


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


def _serve(host: str, port: int, workers: int, threads: int, access_log: bool = False) -> None:
    """Serve until stopped (Ctrl-C, SIGTERM). Granian: a Rust HTTP server running the WSGI app in
    `threads` threads in each of `workers` forked processes; a worker that dies is replaced at once."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    while True:
        started = time.monotonic()
        server = Granian(
            "dailypapers.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            http=HTTPModes.http1,
            websockets=False,
            workers=workers,
            blocking_threads=threads,
            respawn_failed_workers=True,
            workers_kill_timeout=10,  # a graceful stop waits this long for requests in flight
            log_access=access_log,
        )
        try:
            server.serve()
            return
        except SystemExit as stop:
            if not stop.code or time.monotonic() - started < RESTART_AFTER_SECONDS:
                raise
        sys.stderr.write("dailypapers: web workers kept failing; starting the server again\n")
