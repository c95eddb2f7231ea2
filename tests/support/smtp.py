"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be told to refuse."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # Replies to hand out instead of accepting, one per DATA, e.g. "451 4.3.0 try later".
    refusals: deque[str] = field(default_factory=deque)
    # Addresses refused at RCPT TO with this reply, e.g. {"gone@example.org": "550 5.1.1 no such user"}.
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.refuse_recipients.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.refusals:
                return self.refusals.popleft()
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SMTPServer:
    """Start with `SMTPServer().start()`; `.port`, `.messages`, `.refuse_next(reply)`, `.stop()`."""

    def __init__(self) -> None:
        self.handler = _Handler()
        from tests.support.served import free_port

        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)]

    def refuse_next(self, *replies: str) -> None:
        self.handler.refusals.extend(replies)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages
