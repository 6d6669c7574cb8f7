"""OpenAICompatibleClient: openai.AsyncOpenAI with our retries, rate limits and error translation.

The SDK's own retries are off (``max_retries=0``). stamina retries 429 (sleeping what
``Retry-After``/``retry-after-ms`` asks, up to ``net.MAX_RETRY_AFTER``), 5xx, timeouts and broken
connections, ``LLMConfig.max_retries`` times; aiolimiter keeps to ``rpm`` requests per minute and a
semaphore to ``concurrency`` requests in flight. openai's exceptions become ``LLMError`` classes
here, once, with messages that never contain the key.
"""

from __future__ import annotations

import logging
from typing import Any

import openai

from ..errors import LLMError, LLMRejectedError
from .base import (
    ChatResult,
    LLMUnavailableError,
    StructuredMode,
    provider_message,
    retry_after,
    schema_name,
    scrub,
    status_error,
)
from .polite import PoliteClient
from .providers import LLMConfig

__all__ = ["OpenAICompatibleClient", "response_format"]

log = logging.getLogger(__name__)


def response_format(schema: dict[str, Any] | None, mode: StructuredMode) -> dict[str, Any] | None:
    """The ``response_format`` field for ``schema`` in ``mode`` (None when there is no schema)."""
    if schema is None:
        return None
    if mode == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": schema_name(schema), "schema": schema, "strict": True},
    }


class OpenAICompatibleClient(PoliteClient):
    """An ``LLMClient`` over any OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(
        self, config: LLMConfig, *, wait_initial: float = 1.0, wait_max: float = 60.0
    ) -> None:
        super().__init__(config, wait_initial=wait_initial, wait_max=wait_max)
        self.structured: StructuredMode = config.structured
        key = config.api_key.get_secret_value() if config.api_key else "unused"
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=key,
            timeout=config.timeout,
            max_retries=0,
        )
        if config.provider != "openai":
            # The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment; they are
            # OpenAI's business, not another provider's.
            self._client.organization = None
            self._client.project = None

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> ChatResult:
        """One chat completion, retried on 429/5xx/timeouts; raises ``LLMError`` classes."""
        try:
            return await self._send(lambda: self._once(messages, schema, max_tokens, temperature))
        except LLMRejectedError as exc:
            if schema is None or self.structured != "json_schema" or not _about_format(exc):
                raise
            # The endpoint does not take json_schema: fall back to JSON mode for good (the
            # schema is in the instructions too), once, and say so.
            log.warning("%s rejected json_schema output; using json_object mode", self.model)
            self.structured = "json_object"
            return await self._send(lambda: self._once(messages, schema, max_tokens, temperature))

    async def _once(
        self,
        messages: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> ChatResult:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            self.config.max_tokens_param: max_tokens,
        }
        fmt = response_format(schema, self.structured)
        if fmt is not None:
            kwargs["response_format"] = fmt
        try:
            completion = await self._client.chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            raise self._translate(exc) from None
        if not completion.choices:
            raise LLMError(f"{self._who()} returned no choices")
        choice = completion.choices[0]
        usage = completion.usage
        return ChatResult(
            content=choice.message.content or "",
            finish_reason=str(choice.finish_reason or "unknown"),
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def _translate(self, exc: openai.OpenAIError) -> LLMError:
        who, key = self._who(), self.config.api_key
        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailableError(f"{who}: timed out after {self.config.timeout:g}s")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailableError(f"{who}: connection to {self.config.host} failed")
        if isinstance(exc, openai.APIStatusError):
            return status_error(
                who,
                exc.status_code,
                scrub(provider_message(exc.body, exc.message), key),
                param=exc.param,
                wait=retry_after(exc.response.headers),
                key_var=self.config.key_var,
            )
        return LLMError(f"{who}: {type(exc).__name__}: {scrub(str(exc), key)}")


def _about_format(exc: LLMRejectedError) -> bool:
    text = str(exc).lower()
    return "response_format" in text or "json_schema" in text or "structured" in text
