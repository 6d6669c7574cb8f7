"""FakeLLM: a scripted in-process model for tests (``enqueue``), recording every request."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import LLMError
from .base import ChatResult

__all__ = ["FakeLLM", "FakeRequest"]


@dataclass
class FakeRequest:
    """One call to ``FakeLLM.complete``, as it was made."""

    messages: list[dict[str, Any]]
    schema: dict[str, Any] | None
    max_tokens: int
    temperature: float


@dataclass
class FakeLLM:
    """A scripted in-process model: ``enqueue`` answers (or errors), read ``requests`` after.

    Token counts default to ~4 characters per token of the prompt and the answer.
    """

    model: str = "fake-model"
    requests: list[FakeRequest] = field(default_factory=list)
    _queue: deque[ChatResult | Exception] = field(default_factory=deque, repr=False)

    def enqueue(
        self,
        content: str | Mapping[str, Any],
        finish_reason: str = "stop",
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Script the next answer; a mapping is sent as its JSON text."""
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self._queue.append(
            ChatResult(
                text,
                finish_reason,
                -1 if prompt_tokens is None else prompt_tokens,
                -1 if completion_tokens is None else completion_tokens,
            )
        )

    def enqueue_error(self, error: Exception) -> None:
        """Script the next call to raise ``error``."""
        self._queue.append(error)

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> ChatResult:
        self.requests.append(
            FakeRequest(json.loads(json.dumps(messages)), schema, max_tokens, temperature)
        )
        if not self._queue:
            raise LLMError("FakeLLM: no answer enqueued")
        item = self._queue.popleft()
        if isinstance(item, Exception):
            raise item
        prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        return ChatResult(
            item.content,
            item.finish_reason,
            item.prompt_tokens if item.prompt_tokens >= 0 else prompt,
            item.completion_tokens if item.completion_tokens >= 0 else len(item.content) // 4 + 1,
        )
