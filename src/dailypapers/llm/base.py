"""The LLM interface every client meets, and the rules every client shares.

``ChatResult`` and the ``LLMClient`` protocol; then what each client (``client.py`` over the
OpenAI wire format, ``anthropic.py`` over Anthropic's SDK) needs to translate errors and retry
alike: ``status_error`` (an HTTP status and the provider's message -> an ``LLMError`` class),
``retry_hook`` (what stamina retries, honouring ``Retry-After`` up to ``net.MAX_RETRY_AFTER``),
``retry_after`` and ``provider_message`` (read from an error response), ``scrub`` (keeps the key
out of messages) and ``schema_name``. The errors live in :mod:`dailypapers.errors` (the
``LLMError`` branch); two are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import SecretStr

from ..errors import (
    LLMAuthenticationError,
    LLMError,
    LLMRateLimitedError,
    LLMRejectedError,
    LLMUnavailableError,
)
from ..net import MAX_RETRY_AFTER, parse_retry_after

__all__ = [
    "REQUEST_PARAMS",
    "ChatResult",
    "LLMAuthenticationError",
    "LLMClient",
    "LLMUnavailableError",
    "StructuredMode",
    "about_input",
    "provider_message",
    "retry_after",
    "retry_hook",
    "schema_name",
    "scrub",
    "status_error",
]

StructuredMode = Literal["json_schema", "json_object"]


@dataclass(frozen=True)
class ChatResult:
    """One answer: its text, why it stopped (``stop``, ``length``, ...) and its token counts."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


class LLMClient(Protocol):
    """What ``summarize`` needs from a model."""

    model: str

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> ChatResult: ...


# -- shared by the clients -----------------------------------------------------------------


def schema_name(schema: Mapping[str, Any]) -> str:
    """A name for ``schema`` that providers accept (``[A-Za-z0-9_-]{1,64}``), from its title."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(schema.get("title") or "summary")).strip("_")
    return (name or "summary")[:64]


def scrub(text: str, secret: SecretStr | None, limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters, with ``secret`` masked."""
    text = " ".join(str(text).split())
    if secret is not None:
        raw = secret.get_secret_value()
        if raw:
            text = text.replace(raw, "**********")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def provider_message(body: object, fallback: str) -> str:
    """The provider's own message in an error body (``{"error": {"message": ...}}``)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return fallback


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 asks us to wait: ``retry-after-ms``, else ``Retry-After``, else None."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def retry_hook(exc: Exception) -> bool | float:
    """stamina's ``on``: retry rate limits (sleeping what they ask) and outages."""
    if isinstance(exc, LLMRateLimitedError):
        if exc.retry_after is None:
            return True
        if exc.retry_after > MAX_RETRY_AFTER:
            return False
        return exc.retry_after
    return isinstance(exc, LLMUnavailableError)


#: Parameters a 400 may name that are about how every request is built (run-level).
REQUEST_PARAMS = frozenset(
    {
        "model",
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "response_format",
        "top_p",
        "tools",
        "tool_choice",
    }
)

_INPUT_PROBLEM = re.compile(
    r"context[ _]length|context window|too many tokens|too long|token count|maximum.{0,20}tokens"
    r"|input.{0,20}exceeds|content[ _]policy|safety|prohibited|flagged",
    re.IGNORECASE,
)


def about_input(message: str) -> bool:
    """A 400 caused by this paper's text (too long, refused), not by how requests are built."""
    return bool(_INPUT_PROBLEM.search(message))


def status_error(
    who: str,
    status: int,
    said: str,
    *,
    param: str | None,
    wait: float | None,
    key_var: str,
) -> LLMError:
    """The ``LLMError`` for an HTTP ``status`` answer; ``said`` must already be scrubbed.

    429 -> rate limited (``wait`` seconds asked); 401/403 -> authentication (naming ``key_var``,
    never the key); 5xx (529 overloaded too) -> unavailable; 413 or a message about the input ->
    a per-paper ``LLMError``; 400/404/422 -> ``LLMRejectedError`` (run-level, not retried).
    """
    if status == 429:
        return LLMRateLimitedError(f"{who}: rate limited (HTTP 429)", retry_after=wait)
    if status in (401, 403):
        return LLMAuthenticationError(
            f"{who}: authentication failed (HTTP {status}); check {key_var}"
        )
    if status >= 500:
        return LLMUnavailableError(f"{who}: server error (HTTP {status}): {said}")
    if status == 413 or (param not in REQUEST_PARAMS and about_input(said)):
        return LLMError(f"{who}: the paper text is too long or was refused: {said}")
    if status in (400, 404, 422):
        named = f" (parameter {param!r})" if param else ""
        return LLMRejectedError(f"{who} rejected the request (HTTP {status}){named}: {said}")
    return LLMError(f"{who}: HTTP {status}: {said}")
