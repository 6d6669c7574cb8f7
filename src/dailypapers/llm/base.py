"""The LLM interface every client meets: ChatResult and the LLMClient protocol.

Its errors live in :mod:`dailypapers.errors` (the ``LLMError`` branch) and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..errors import LLMAuthenticationError, LLMUnavailableError

__all__ = [
    "ChatResult",
    "LLMAuthenticationError",
    "LLMClient",
    "LLMUnavailableError",
    "StructuredMode",
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
