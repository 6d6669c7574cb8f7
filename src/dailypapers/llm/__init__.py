"""The language model: provider presets, settings -> config, one OpenAI-compatible client, a fake.

Owns everything about talking to an LLM over the OpenAI chat-completions wire format
(``base.py`` interface, ``providers.py``, ``client.py``, ``fake.py``):

- ``PROVIDERS``: presets (base URL, API key variable, default model, structured-output mode).
- ``resolve_llm(settings)``: which provider, key, model and base URL a run uses, or ``None`` when
  no LLM is configured (the run still works, from Hugging Face metadata).
- ``OpenAICompatibleClient``: ``openai.AsyncOpenAI`` with the SDK's own retries off; our retries
  (stamina) for 429 (honouring ``Retry-After``), 5xx, timeouts and broken connections; a request
  rate limit (aiolimiter, ``llm_rpm``) and a concurrency limit (``llm_concurrency``). openai's
  exceptions are translated here, once, into :mod:`dailypapers.errors` ``LLMError`` classes.
- ``FakeLLM``: an in-process scripted model for tests (``enqueue``), recording every request.
- ``PRICES`` / ``estimate_cost``: USD per 1M input/output tokens, where known.

The API key lives in a ``SecretStr`` and is unwrapped only when the SDK client is built; no
repr, log line or error message of this module contains it.
"""

from __future__ import annotations

from .base import (
    ChatResult,
    LLMAuthenticationError,
    LLMClient,
    LLMUnavailableError,
    StructuredMode,
)
from .client import OpenAICompatibleClient, response_format
from .fake import FakeLLM, FakeRequest
from .providers import PRICES, PROVIDERS, LLMConfig, ProviderPreset, estimate_cost, resolve_llm

__all__ = [
    "PRICES",
    "PROVIDERS",
    "ChatResult",
    "FakeLLM",
    "FakeRequest",
    "LLMAuthenticationError",
    "LLMClient",
    "LLMConfig",
    "LLMUnavailableError",
    "OpenAICompatibleClient",
    "ProviderPreset",
    "StructuredMode",
    "estimate_cost",
    "resolve_llm",
    "response_format",
]
