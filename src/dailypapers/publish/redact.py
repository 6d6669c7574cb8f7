"""Keeping secrets out of what delivery prints: message redaction and a logging filter.

:func:`redact` replaces every known secret in a message by ``***`` and makes it one short line.
:data:`LOG_REDACTOR` is a :class:`logging.Filter` on the HTTP client's loggers (``httpx2`` logs
every request URL at INFO, and a Telegram URL holds the bot token, a webhook URL its secret
path): while a delivery runs inside ``with LOG_REDACTOR.hiding(secrets):`` those are redacted
from every record. :func:`is_loopback` tells the hosts to which plain text is acceptable.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections import Counter
from collections.abc import Iterable, Iterator

__all__ = ["LOG_REDACTOR", "MIN_SECRET", "Redactor", "is_loopback", "redact"]

#: Shorter strings are not treated as secrets (they would blank out ordinary words).
MIN_SECRET = 4
_MAX_MESSAGE = 300
_LOGGERS = ("httpx2", "httpcore2", "httpx", "httpcore", "apprise")


def redact(text: str, secrets: Iterable[str], limit: int = _MAX_MESSAGE) -> str:
    """``text`` on one line, each secret (longest first) replaced by ``***``, cut to ``limit``."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Redactor(logging.Filter):
    """Replaces the secrets currently registered with :meth:`hiding` in every record."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: Counter[str] = Counter()

    @contextlib.contextmanager
    def hiding(self, secrets: Iterable[str]) -> Iterator[None]:
        items = [s for s in secrets if s and len(s) >= MIN_SECRET]
        self.install()
        self._secrets.update(items)
        try:
            yield
        finally:
            self._secrets.subtract(items)
            for key in [k for k, n in self._secrets.items() if n <= 0]:
                del self._secrets[key]

    def install(self) -> None:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            cleaned = redact(message, list(self._secrets), limit=10_000)
            if cleaned != " ".join(message.split()):
                record.msg, record.args = cleaned, ()
        return True


LOG_REDACTOR = Redactor()
