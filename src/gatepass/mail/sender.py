"""Sending off the request path: a queue of background deliveries with retries.

A request that mails something answers at once, whatever the SMTP server does, so the
answer's timing and body never tell whether an address exists (OWASP ASVS 6.3.8).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

from gatepass.mail.transports import MailDeliveryError, MailTransport

__all__ = ["MailSender"]

logger = logging.getLogger("gatepass.mail")


class MailSender:
    """Delivers messages in background tasks, retrying with a growing pause.

    Args:
        transport: where messages go.
        attempts: deliveries tried before giving up (logged as an error).
        backoff: seconds before the second attempt; doubled each time.
        sleep: the pause function (tests pass one that does not wait).
    """

    def __init__(
        self,
        transport: MailTransport,
        *,
        attempts: int = 4,
        backoff: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep
        self._pending: set[asyncio.Task[bool]] = set()

    def submit(self, message: EmailMessage) -> None:
        """Queue ``message`` and return at once."""
        task = asyncio.get_running_loop().create_task(self.deliver(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def deliver(self, message: EmailMessage) -> bool:
        """Deliver now, with retries.

        Returns:
            Whether the message was handed over.
        """
        pause = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                await self.transport.send(message)
            except MailDeliveryError as exc:
                last = attempt == self._attempts
                logger.log(
                    logging.ERROR if last else logging.WARNING,
                    "Mail to %s (%s) not sent, attempt %d of %d: %s%s",
                    message["To"],
                    message["Subject"],
                    attempt,
                    self._attempts,
                    exc,
                    "; giving up" if last else "",
                )
                if last:
                    return False
                await self._sleep(pause)
                pause *= 2
            else:
                return True
        return False

    async def drain(self) -> None:
        """Wait until every queued message is delivered or given up."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self, *, grace: float = 10.0) -> None:
        """Give queued messages ``grace`` seconds, then cancel the rest."""
        try:
            await asyncio.wait_for(self.drain(), grace)
        except TimeoutError:
            for task in list(self._pending):
                task.cancel()
            await asyncio.gather(*list(self._pending), return_exceptions=True)
