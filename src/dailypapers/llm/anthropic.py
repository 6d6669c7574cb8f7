"""AnthropicClient: Claude through Anthropic's own SDK (the ``anthropic`` extra), as an LLMClient.

OpenAI-style messages become the Messages API's ``system`` text and alternating ``messages``
(``to_messages_api``). A schema goes out as one tool, forced with ``tool_choice``, whose input is
the answer; that input comes back JSON-serialised as ``ChatResult.content``. Stop reasons map to
``finish_reason``: ``max_tokens`` -> ``length``, ``end_turn``/``tool_use`` -> ``stop``. The
temperature is not sent: API version 2026-10-21 (SDK 2.x) removed it for every model, and
Claude 5 models reject it on the older version too.

Retries, limits and errors follow ``client.py``'s rules, through the helpers of ``base.py``: the
SDK's own retries are off; stamina retries 429 (honouring ``retry-after``), 5xx (529 overloaded
too), timeouts and broken connections ``LLMConfig.max_retries`` times; aiolimiter keeps to
``rpm`` and a semaphore to ``concurrency``. anthropic's exceptions become ``LLMError`` classes
here, once, with messages that never contain the key. The SDK is imported when a client is
built, so the rest of dailypapers works without it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import LLMError, UsageError
from .base import (
    ChatResult,
    LLMUnavailableError,
    provider_message,
    retry_after,
    schema_name,
    scrub,
    status_error,
)
from .polite import PoliteClient
from .providers import LLMConfig

if TYPE_CHECKING:
    import anthropic

__all__ = ["INSTALL_HINT", "AnthropicClient", "finish_reason", "to_messages_api"]

INSTALL_HINT = "pip install 'dailypapers[anthropic]'"

_FINISH = {
    "end_turn": "stop",
    "tool_use": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}

#: "max_tokens: 100000 > 64000, ..." names the parameter first; anthropic has no ``param`` field.
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[.:\[]")


def finish_reason(stop_reason: str | None) -> str:
    """The OpenAI-style ``finish_reason`` of an Anthropic ``stop_reason``."""
    if not stop_reason:
        return "unknown"
    return _FINISH.get(stop_reason, stop_reason)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return "" if content is None else str(content)


def to_messages_api(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system, turns): system messages joined; user/assistant turns, same-role runs merged."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role, text = message.get("role"), _text(message.get("content"))
        if role in ("system", "developer"):
            system.append(text)
        elif role not in ("user", "assistant"):
            raise ValueError(f"unsupported message role {role!r}")
        elif turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + text
        else:
            turns.append({"role": role, "content": text})
    return "\n\n".join(system) or None, turns


class AnthropicClient(PoliteClient):
    """An ``LLMClient`` over Anthropic's Messages API (``POST {base_url}/v1/messages``)."""

    def __init__(
        self, config: LLMConfig, *, wait_initial: float = 1.0, wait_max: float = 60.0
    ) -> None:
        try:
            import anthropic
        except ImportError:
            raise UsageError(
                f"the anthropic provider needs Anthropic's SDK: {INSTALL_HINT}"
            ) from None
        super().__init__(config, wait_initial=wait_initial, wait_max=wait_max)
        key = config.api_key.get_secret_value() if config.api_key else "unused"
        self._sdk = anthropic
        self._client = anthropic.AsyncAnthropic(
            api_key=key, base_url=config.base_url, timeout=config.timeout, max_retries=0
        )

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> ChatResult:
        """One message, retried on 429/5xx/timeouts; raises ``LLMError`` classes.

        ``temperature`` is accepted for the protocol and not sent (see the module docstring).
        """
        system, turns = to_messages_api(messages)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": turns,
            "timeout": self.config.timeout,  # also keeps the SDK from guessing one by max_tokens
        }
        if system:
            kwargs["system"] = system
        tool = None
        if schema is not None:
            tool = schema_name(schema)
            kwargs["tools"] = [
                {
                    "name": tool,
                    "description": "Record your answer: the JSON object the instructions ask for.",
                    "input_schema": schema,
                }
            ]
            kwargs["tool_choice"] = {"type": "tool", "name": tool}
        return await self._send(lambda: self._once(kwargs, tool))

    async def _once(self, kwargs: dict[str, Any], tool: str | None) -> ChatResult:
        try:
            message = await self._client.messages.create(**kwargs)
        except self._sdk.AnthropicError as exc:
            raise self._translate(exc) from None
        content = self._content(message, tool)
        usage = message.usage
        return ChatResult(
            content=content,
            finish_reason=finish_reason(message.stop_reason),
            prompt_tokens=usage.input_tokens if usage else 0,
            completion_tokens=usage.output_tokens if usage else 0,
        )

    def _content(self, message: anthropic.types.Message, tool: str | None) -> str:
        types = self._sdk.types
        if tool is not None:
            for block in message.content:
                if isinstance(block, types.ToolUseBlock) and block.name == tool:
                    return json.dumps(block.input, ensure_ascii=False)
        return "".join(b.text for b in message.content if isinstance(b, types.TextBlock))

    def _translate(self, exc: anthropic.AnthropicError) -> LLMError:
        sdk, who, key = self._sdk, self._who(), self.config.api_key
        if isinstance(exc, sdk.APITimeoutError):
            return LLMUnavailableError(f"{who}: timed out after {self.config.timeout:g}s")
        if isinstance(exc, sdk.APIConnectionError):
            return LLMUnavailableError(f"{who}: connection to {self.config.host} failed")
        if isinstance(exc, sdk.APIStatusError):
            said = scrub(provider_message(exc.body, exc.message), key)
            found = _PARAM.match(said)
            return status_error(
                who,
                exc.status_code,
                said,
                param=found.group(1) if found else None,
                wait=retry_after(exc.response.headers),
                key_var=self.config.key_var,
            )
        return LLMError(f"{who}: {type(exc).__name__}: {scrub(str(exc), key)}")
