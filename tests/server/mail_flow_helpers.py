"""Helpers for the mailed-flow tests: read what the real SMTP server received."""

from __future__ import annotations

import asyncio
import math
import re
import time
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI

from server.lifecycle_helpers import server_state
from smtp_helpers import SMTPServer

__all__ = ["after_this_second", "code_in", "link_in", "received", "server_state", "text_of"]

_LINK = re.compile(r"https?://\S+")
_CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


async def received(app: FastAPI, smtp: SMTPServer, count: int) -> list[EmailMessage]:
    """Every message once ``count`` arrived (queued mail is delivered first)."""
    await server_state(app).mail.sender.drain()
    return await asyncio.to_thread(smtp.inbox.wait_for, count)


def text_of(message: EmailMessage) -> str:
    """The plain-text part."""
    part = message.get_body(("plain",))
    assert part is not None, "the message has no text part"
    content: str = part.get_content()
    return content


def link_in(message: EmailMessage) -> tuple[str, str]:
    """The path and the ``token`` of the one link in a message."""
    links = _LINK.findall(text_of(message))
    assert len(links) == 1, links
    parts = urlsplit(links[0])
    return parts.path, parse_qs(parts.query)["token"][0]


def code_in(message: EmailMessage) -> str:
    """The 6-digit code in a message."""
    match = _CODE.search(text_of(message))
    assert match is not None, text_of(message)
    return match.group(1)


async def after_this_second() -> None:
    """Wait (at most a second) until the clock leaves the current second.

    A password reset revokes every token issued up to the end of its second; a login
    meant to come after it waits for the next one.
    """
    now = math.floor(time.time())
    for _ in range(40):
        if math.floor(time.time()) > now:
            return
        await asyncio.sleep(0.05)
