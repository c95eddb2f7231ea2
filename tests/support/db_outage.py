"""A loopback TCP proxy in front of PostgreSQL that can play a database restart.

Point a process's DATABASE_URL at `proxy.port` (`proxy.url(database_url)` rewrites one), then
`proxy.cut()` drops every open connection and refuses new ones (they are closed at once, as a
server that is shutting down does), and `proxy.restore()` lets them through again. The shared
PostgreSQL itself is never touched: other tests run against it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from tests.support.served import free_port


class DatabaseProxy:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.refusing = False
        self.accepted = 0  # connections let through, for tests that want to see reconnects
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener.settimeout(0.2)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="db-proxy", daemon=True)

    def start(self) -> DatabaseProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()
        self._drop_all()

    def __enter__(self) -> DatabaseProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(self, database_url: str) -> str:
        """The same database, reached through this proxy."""
        parts = urlsplit(database_url)
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth}@127.0.0.1:{self.port}" if auth else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def cut(self) -> None:
        """The database goes away: open connections break, new ones are refused."""
        self.refusing = True
        self._drop_all()

    def restore(self) -> None:
        self.refusing = False

    @contextlib.contextmanager
    def outage(self, seconds: float) -> Iterator[None]:
        self.cut()
        try:
            time.sleep(seconds)
            yield
        finally:
            self.restore()

    # --- plumbing ---------------------------------------------------------------------------------

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
                self.accepted += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            # Both directions end; each pump closes the socket it read from.
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(source)
            source.close()
