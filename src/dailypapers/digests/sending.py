"""The digest sender: claim what is due, write it to the ledger, deliver it exactly once.

1. Claim. For each active subscription whose `next_due` has passed, a conditional
   `UPDATE ... SET next_due=<next>, claimed_by=<worker> WHERE id=? AND next_due=<old>` moves its
   schedule on. Only the worker whose UPDATE matched the row goes on, and in the SAME transaction
   it writes the ledger row (Delivery, unique per subscription × period, status `pending`). So a
   period is claimed once, and a claimed period is never lost.
2. Send. A pending delivery is taken with another conditional UPDATE (`status pending → sending`,
   committed BEFORE talking to SMTP), then handed to the SMTP server. Right after the server's 250
   its id is appended to this worker's journal of accepted digests (a local file, one write(): it
   survives the process being killed), then it is marked `sent` (autocommit, on the thread's own
   connection). If the database is away, the mark is retried until it is back (SENT_MARK_PATIENCE).
3. Recover. A delivery left `sending` by a worker that died (its process is gone, when it ran on
   this host; or its claim is older than DIGEST_CLAIM_TIMEOUT, from any host) goes back to
   `pending` and is sent again with the SAME Message-ID, unless a journal on this host says the
   server accepted it: then it is marked `sent`. What the server accepted is never queued again.

The window left is a kill between the server's 250 and our journal write (a few hundred
microseconds, see bench/digest_crash_window.py), or a host crash before the journal reaches the
disk, or a worker on another host that dies there. We resend in that case: a digest arriving twice
(with one Message-ID, which Gmail and many clients fold into one) is better than one silently
lost. Everywhere else, a crash leaves rows `pending` (nothing was sent) or `sent`.

SMTP failures: 4xx replies and connection trouble are transient (the delivery is retried with
exponential backoff, up to DIGEST_MAX_ATTEMPTS); a 5xx for the recipient is permanent (the
delivery is `bounced`, the subscription is marked bounced and gets no more mail).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import queue
import secrets
import smtplib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, get_connection
from django.core.validators import EmailValidator
from django.db import InterfaceError, OperationalError, transaction
from django.db import connections as db_connections
from django.utils import timezone

from dailypapers.digests.compose import PeriodPapers, digest_message, message_id
from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.schedule import last_due_at_or_before, next_due_after, period_due_at
from dailypapers.papers.periods import Period

log = logging.getLogger("dailypapers.digests")
CHUNK = 200
SEND_CHUNK = 500
MAX_BACKOFF = 6 * 3600.0


def host_identity(home: Path) -> str:
    """Who may judge a sender gone by its pid, and read its journal: the processes that share this
    machine, its pid numbering (a container has its own) and this home's journal folder. Two nodes
    on one machine with separate homes, or two containers that share a host name, are different
    "hosts": neither resets the other's sends by pid (its journal, which says what the server
    accepted, is out of reach); only DIGEST_CLAIM_TIMEOUT does."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        pid_space = os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # not Linux: the host name and home alone
        boot, pid_space = "", 0
    where = os.path.realpath(Path(home) / "digest-accepted")
    tag = hashlib.blake2b(f"{boot}\0{pid_space}\0{where}".encode(), digest_size=4).hexdigest()
    # "host:pid:nonce" must fit claimed_by (100); a host name has no ":".
    return f"{socket.gethostname()[:50]}~{tag}"


HOST = host_identity(settings.HOME)
# How long a `sent` mark waits for an unreachable database (a restart takes seconds; a failover
# a minute or two). The journal keeps the 250 meanwhile, so giving up never re-sends.
SENT_MARK_PATIENCE = 600.0
DATABASE_DOWN = (OperationalError, InterfaceError)


def new_worker_id() -> str:
    """host:pid:nonce; the pid lets a worker on the same host see that another one has died."""
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def _worker_is_dead(worker: str) -> bool:
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False  # another host: only the claim timeout can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Transient(Exception):
    """Try this delivery again later."""


class Permanent(Exception):
    """The address refused for good."""


class ConnectionDown(Transient):
    """The SMTP server cannot be reached: the rest of this batch waits too."""


def send_classified(message) -> None:  # noqa: ANN001 (an EmailMessage)
    """Send one message; what went wrong as Permanent (the address refused it for good, 5xx),
    ConnectionDown (no server) or Transient (anything worth trying again, our From refused too)."""
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        _classify(code, reply)
    except smtplib.SMTPSenderRefused as exc:
        # Our From address was refused: the operator's problem, not the reader's address.
        raise Transient(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPResponseException as exc:
        _classify(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as exc:
        raise ConnectionDown(f"SMTP server unreachable: {type(exc).__name__}: {exc}") from exc


def _classify(code: int, reply: bytes | str) -> None:
    text = f"{code} {_text(reply)}"
    if 500 <= code < 600:
        raise Permanent(text)
    raise Transient(text)


class DatabaseDown(Exception):
    """The database could not be reached; what was claimed stays claimed, nothing is lost."""


class Journal:
    """This worker's record of the digests the SMTP server accepted and the ledger may not show yet.

    One file per worker (`<pid>-<nonce>.log` under `$DAILYPAPERS_HOME/digest-accepted/`), one
    line per accepted digest (`<delivery id> <paper count> <unix time>`), written with a single
    O_APPEND write right after the 250. A killed process's writes stay in the page cache, so the
    next sender on this host reads them and marks those rows `sent` instead of sending them again.
    """

    def __init__(self, worker: str) -> None:
        self.folder = Path(settings.HOME) / "digest-accepted"
        # "host:pid:nonce" → "pid-nonce.log" (the pid first: recovery tells dead workers by it)
        name = "".join(c if c.isalnum() else "-" for c in worker.partition(":")[2])
        self.path = self.folder / f"{name or os.getpid()}.log"
        self.fd: int | None = None
        self.unmarked: set[int] = set()
        self.lock = threading.Lock()

    def accepted(self, delivery_id: int, paper_count: int) -> None:
        line = f"{delivery_id} {paper_count} {time.time():.6f}\n".encode()
        with self.lock:
            if self.fd is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self.unmarked.add(delivery_id)
        os.write(self.fd, line)

    def marked(self, delivery_id: int) -> None:
        with self.lock:
            self.unmarked.discard(delivery_id)

    def close(self) -> None:
        """At the end of a pass: the file goes once every digest in it is marked in the ledger."""
        with self.lock:
            if self.fd is None:
                return
            os.close(self.fd)
            self.fd = None
            if not self.unmarked:
                self.path.unlink(missing_ok=True)

    def read_all(self) -> tuple[dict[int, tuple[int, float]], list[Path]]:
        """Every journal on this host: {delivery id: (papers, accepted at)}, and the files of dead
        workers (to delete once their lines are in the ledger)."""
        accepted: dict[int, tuple[int, float]] = {}
        dead: list[Path] = []
        if not self.folder.is_dir():
            return accepted, dead
        for path in self.folder.glob("*.log"):
            with contextlib.suppress(OSError):
                for line in path.read_text(errors="replace").splitlines():
                    parts = line.split()
                    # A line cut short by a crash mid-write is incomplete: only whole lines count.
                    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                        with contextlib.suppress(ValueError):
                            accepted[int(parts[0])] = (int(parts[1]), float(parts[2]))
                pid = path.stem.partition("-")[0]
                if path != self.path and _worker_is_dead(f"{HOST}:{pid}:"):
                    dead.append(path)
        return accepted, dead


@dataclass
class PassResult:
    claimed: int = 0
    sent: int = 0
    empty: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    cancelled: int = 0
    recovered: int = 0
    smtp_down: bool = False
    database_down: str = ""
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, what: str, error: str = "") -> None:
        with self.lock:  # sender threads report here
            setattr(self, what, getattr(self, what) + 1)
            if error:
                self.errors.append(error)

    def summary(self) -> str:
        return (
            f"{self.claimed} claimed, {self.sent} sent, {self.empty} empty, {self.retried} to retry, "
            f"{self.bounced} bounced, {self.failed} failed, {self.cancelled} cancelled, "
            f"{self.recovered} recovered"
        )

    @property
    def halted(self) -> bool:
        return self.smtp_down or bool(self.database_down)


class Sender:
    def __init__(
        self,
        worker: str | None = None,
        report: Callable[[str], None] | None = None,
        throttle: float | None = None,
        connections: int | None = None,
    ) -> None:
        self.worker = worker or new_worker_id()
        self.report_each = report is not None
        self.report = report or (lambda line: None)
        self.throttle = settings.DIGEST_THROTTLE if throttle is None else throttle
        self.connections = max(1, connections or settings.DIGEST_SMTP_CONNECTIONS)
        self.periods: dict[tuple, PeriodPapers] = {}
        self._local = threading.local()  # one SMTP connection per sender thread
        self.validate_email = EmailValidator()
        self.journal = Journal(self.worker)
        # Set to stop after the digests in flight (a signal, or the parent process gone).
        self.stopping = threading.Event()

    # --- one pass --------------------------------------------------------------------------------

    def run_pass(self) -> PassResult:
        """Claim everything due and send everything sendable now; returns when nothing is left
        that can go out now (retries waiting for their backoff stay for a later pass)."""
        result = PassResult()
        self.periods.clear()  # votes move between passes
        try:
            while not self.stopping.is_set():
                result.recovered += self.recover_stale()
                claimed = self.claim_due(result)
                handled = self.send_pending(result)
                if result.database_down:
                    raise DatabaseDown(result.database_down)
                if result.smtp_down or not (claimed or handled):
                    break
            return result
        except DATABASE_DOWN as exc:
            raise DatabaseDown(f"{type(exc).__name__}: {exc}".strip()) from exc
        finally:
            self._close()
            self.journal.close()

    # --- 1. claim ----------------------------------------------------------------------------------

    def claim_due(self, result: PassResult) -> int:
        now = timezone.now()
        due = list(
            Subscription.objects.active()
            .filter(next_due__lte=now)
            .order_by("id")
            .values_list("id", "frequency", "next_due")[:CHUNK]
        )
        won = 0
        if not due:
            return 0
        with transaction.atomic():
            deliveries = []
            for sub_id, frequency, old_due in due:
                # A worker that was stopped for days sends the latest period only, not a backlog.
                period = period_due_at(frequency, last_due_at_or_before(frequency, now))
                claimed = _execute(
                    f"UPDATE {_SUBSCRIPTIONS} SET next_due = %s, claimed_by = %s, claimed_at = %s "
                    "WHERE id = %s AND next_due = %s AND status = %s",
                    [
                        next_due_after(frequency, now),
                        self.worker,
                        now,
                        sub_id,
                        old_due,
                        Subscription.Status.ACTIVE,
                    ],
                )
                if claimed == 1:
                    won += 1
                    deliveries.append(
                        Delivery(
                            subscription_id=sub_id,
                            kind=period.kind,
                            period_start=period.start,
                            period_end=period.end,
                            next_attempt_at=now,
                        )
                    )
            # A period already in the ledger (frequency changed back and forth) is not claimed again.
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        result.claimed += won
        # Rows that another worker claimed first are its work; a pass stops when it wins nothing.
        return won

    # --- 3. recover ----------------------------------------------------------------------------------

    def recover_stale(self) -> int:
        """Put deliveries left `sending` by a stopped worker back in the queue. Called only between
        batches, when none of this worker's own threads is in flight: its own leftovers (a thread
        that failed on a bug) are retried too, and given up after DIGEST_MAX_ATTEMPTS."""
        now = timezone.now()
        stale_before = now - dt.timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
        recovered = 0
        accepted, dead_journals = self.journal.read_all()
        rows = Delivery.objects.filter(status=Delivery.Status.SENDING)
        for delivery_id, worker, claimed_at, attempts in rows.values_list(
            "id", "claimed_by", "claimed_at", "attempts"
        ):
            if delivery_id in accepted:
                # The server said 250 and the worker died (or lost the database) before marking it.
                paper_count, at = accepted[delivery_id]
                recovered += Delivery.objects.filter(id=delivery_id, status=Delivery.Status.SENDING).update(
                    status=Delivery.Status.SENT,
                    paper_count=paper_count,
                    sent_at=dt.datetime.fromtimestamp(at, tz=dt.UTC),
                    message_id=message_id(Delivery.objects.get(pk=delivery_id)),
                )
                continue
            mine = worker == self.worker
            if not (mine or (claimed_at and claimed_at < stale_before) or _worker_is_dead(worker)):
                continue
            update = {"status": Delivery.Status.PENDING, "next_attempt_at": now}
            if mine and attempts >= settings.DIGEST_MAX_ATTEMPTS:
                update = {"status": Delivery.Status.FAILED, "error": "gave up: the sender failed on it"}
            recovered += Delivery.objects.filter(
                id=delivery_id, status=Delivery.Status.SENDING, claimed_by=worker
            ).update(**update)
        for path in dead_journals:  # every line of a dead worker's journal is in the ledger now
            path.unlink(missing_ok=True)
        if recovered:
            log.warning(
                "digests: %d deliveries left mid-send by a stopped sender are recovered "
                "(marked sent when a journal shows the server accepted them, else queued again)",
                recovered,
            )
        return recovered

    # --- 2. send -------------------------------------------------------------------------------------

    def send_pending(self, result: PassResult) -> int:
        """Send one chunk of due deliveries over `connections` SMTP connections (threads)."""
        deliveries = list(
            Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
            .select_related("subscription")
            .order_by("id")[:SEND_CHUNK]
        )
        if not deliveries:
            return 0
        # Each worker walks the batch in its own order, so concurrent workers rarely race for a row.
        deliveries.sort(
            key=lambda d: hashlib.blake2b(f"{self.worker}{d.pk}".encode(), digest_size=4).digest()
        )
        for delivery in deliveries:
            key = (delivery.kind, delivery.period_start)
            if key not in self.periods:
                self.periods[key] = PeriodPapers(
                    Period(delivery.kind, delivery.period_start, delivery.period_end)
                )
        if self.connections == 1 or len(deliveries) == 1:
            for delivery in deliveries:
                if result.halted or self.stopping.is_set():
                    break
                self.take_and_deliver(delivery, result)
            return len(deliveries)
        work: queue.Queue[Delivery] = queue.Queue()
        for delivery in deliveries:
            work.put(delivery)
        threads = [
            threading.Thread(target=self._thread, args=(work, result), name=f"digest-smtp-{i}")
            for i in range(min(self.connections, len(deliveries)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return len(deliveries)

    def _thread(self, work: queue.Queue, result: PassResult) -> None:
        try:
            while not (result.halted or self.stopping.is_set()):
                try:
                    delivery = work.get_nowait()
                except queue.Empty:
                    return
                self.take_and_deliver(delivery, result)
        except DATABASE_DOWN as exc:
            # The others finish the digest in hand, then the pass stops; nothing is re-queued here.
            result.database_down = result.database_down or f"{type(exc).__name__}: {exc}".strip()
        except DatabaseDown as exc:
            result.database_down = result.database_down or str(exc)
        except Exception:
            log.exception("digest sender thread failed")
            result.count("failed")
        finally:
            self._close()
            db_connections.close_all()  # this thread's own database connection

    def take_and_deliver(self, delivery: Delivery, result: PassResult) -> None:
        taken = _execute(
            f"UPDATE {_DELIVERIES} SET status = %s, claimed_by = %s, claimed_at = %s, "
            "attempts = attempts + 1 WHERE id = %s AND status = %s",
            [Delivery.Status.SENDING, self.worker, timezone.now(), delivery.pk, Delivery.Status.PENDING],
        )
        if taken != 1:
            return  # another worker has it
        delivery.attempts += 1
        try:
            self.deliver(delivery, result)
        except DatabaseDown:
            raise  # the server accepted it: never re-queued
        except Exception as exc:  # a bug or a database hiccup on one digest: the batch goes on
            log.exception("digest %s failed unexpectedly", delivery.pk)
            self._retry(delivery, f"{type(exc).__name__}: {exc}", result)

    def deliver(self, delivery: Delivery, result: PassResult) -> None:
        subscription = delivery.subscription
        if subscription.status != Subscription.Status.ACTIVE:
            self._finish(delivery, Delivery.Status.CANCELLED)
            result.count("cancelled")
            return
        try:
            self.validate_email(subscription.email)
        except ValidationError:
            self._bounce(delivery, "not a valid e-mail address")
            result.count("bounced")
            return
        period_papers = self.periods[(delivery.kind, delivery.period_start)]
        papers = period_papers.select(subscription)
        if not papers:
            self._finish(delivery, Delivery.Status.EMPTY)
            result.count("empty")
            return
        if self.throttle:
            self.report(f"sending {delivery.pk} to {subscription.email}")
            time.sleep(self.throttle)
        try:
            body = period_papers.body(papers)
            message = digest_message(subscription, delivery, period_papers.period, body, self._open())
            self._smtp_send(message, subscription.email)
        except Permanent as exc:
            self._bounce(delivery, str(exc))
            result.count("bounced")
            return
        except Transient as exc:
            if isinstance(exc, ConnectionDown):
                result.smtp_down = True
            self._retry(delivery, str(exc), result)
            return
        except (BadHeaderError, ValueError) as exc:  # nothing SMTP can fix: give up on this one
            self._finish(delivery, Delivery.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
            result.count("failed")
            return
        try:
            self.journal.accepted(delivery.pk, body.count)  # first: a kill from here on re-sends nothing
        except OSError as exc:  # a full disk: the ledger alone records it, as before the journal
            log.warning("digest %s: could not write the journal of accepted digests: %s", delivery.pk, exc)
        self._mark_sent(delivery, body.count)
        result.count("sent")
        if self.report_each:
            self.report(f"sent {delivery.pk} to {subscription.email}")

    def _smtp_send(self, message, address: str) -> None:
        try:
            send_classified(message)
        except ConnectionDown:
            self._close()
            raise

    # --- ledger updates ------------------------------------------------------------------------------

    def _finish(
        self, delivery: Delivery, status: str, error: str = "", paper_count: int = 0, sent_at=None
    ) -> None:
        _execute(
            f"UPDATE {_DELIVERIES} SET status = %s, message_id = %s, error = %s, paper_count = %s, "
            "sent_at = %s WHERE id = %s AND claimed_by = %s",
            [status, message_id(delivery), error[:500], paper_count, sent_at, delivery.pk, self.worker],
        )

    def _mark_sent(self, delivery: Delivery, paper_count: int) -> None:
        """Commit `sent` (autocommit, this thread's connection); if the database is away, wait for
        it: the server has the message, so re-queueing it would send it twice."""
        sent_at = timezone.now()
        deadline = time.monotonic() + SENT_MARK_PATIENCE
        pause = 0.05
        while True:
            try:
                self._finish(delivery, Delivery.Status.SENT, paper_count=paper_count, sent_at=sent_at)
                break
            except DATABASE_DOWN as exc:
                _drop_database_connection()
                if time.monotonic() + pause > deadline:
                    log.error(
                        "digest %s was accepted by the SMTP server, but the database has been "
                        "unreachable for %.0f s; it is kept in %s and the next `digest send` on this "
                        "host marks it sent",
                        delivery.pk,
                        SENT_MARK_PATIENCE,
                        self.journal.path,
                    )
                    raise DatabaseDown(
                        f"the database was unreachable for {SENT_MARK_PATIENCE:.0f} s: {exc}"
                    ) from exc
                if pause == 0.05:
                    log.warning(
                        "digest %s sent; the database is unreachable, waiting to record it: %s",
                        delivery.pk,
                        exc,
                    )
                time.sleep(pause)
                pause = min(2.0, pause * 2)
        self.journal.marked(delivery.pk)

    def _retry(self, delivery: Delivery, error: str, result: PassResult) -> None:
        attempts = delivery.attempts
        if attempts >= settings.DIGEST_MAX_ATTEMPTS:
            self._finish(delivery, Delivery.Status.FAILED, error=f"gave up after {attempts} tries: {error}")
            result.count("failed", error)
            log.error("digest %s to %s: gave up: %s", delivery.pk, delivery.subscription.email, error)
            return
        wait = min(MAX_BACKOFF, settings.DIGEST_RETRY_BACKOFF * 2 ** (attempts - 1))
        Delivery.objects.filter(id=delivery.pk, claimed_by=self.worker).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
            error=error[:500],
        )
        result.count("retried", error)
        log.warning(
            "digest %s to %s: %s; retry in %.0f s", delivery.pk, delivery.subscription.email, error, wait
        )

    def _bounce(self, delivery: Delivery, reason: str) -> None:
        with transaction.atomic():
            self._finish(delivery, Delivery.Status.BOUNCED, error=reason)
            mark_bounced(delivery.subscription, reason)
        log.warning("digest %s: %s bounced: %s", delivery.pk, delivery.subscription.email, reason)

    # --- SMTP connection -----------------------------------------------------------------------------

    def _open(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                raise ConnectionDown(f"SMTP server unreachable: {type(exc).__name__}: {exc}") from exc
            self._local.connection = connection
        return connection

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()
            self._local.connection = None


# The ledger's hot path (three statements per digest) is plain SQL: the ORM spent ten times longer
# building each UPDATE than the database took to run it. Portable SQL, the same on both databases.
_SUBSCRIPTIONS = Subscription._meta.db_table
_DELIVERIES = Delivery._meta.db_table


def _execute(sql: str, params: list) -> int:
    connection = db_connections["default"]
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(p) if isinstance(p, dt.datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _drop_database_connection() -> None:
    """Forget this thread's broken connection: the next statement opens a new one."""
    with contextlib.suppress(Exception):
        db_connections["default"].close()


def mark_bounced(subscription: Subscription, reason: str) -> None:
    Subscription.objects.filter(id=subscription.pk).update(
        status=Subscription.Status.BOUNCED,
        bounced_at=timezone.now(),
        bounce_reason=reason[:500],
        next_due=None,
    )


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())[:300]
