"""The language model: provider presets, settings -> config, the clients, a fake.

Owns everything about talking to an LLM (``base.py`` interface and shared rules,
``providers.py``, ``client.py``, ``anthropic.py``, ``fake.py``):

- ``PROVIDERS``: presets (base URL, API key variable, default model, structured-output mode).
- ``resolve_llm(settings)``: which provider, key, model and base URL a run uses, or ``None`` when
  no LLM is configured (the run still works, from Hugging Face metadata).
- ``OpenAICompatibleClient``: ``openai.AsyncOpenAI`` with the SDK's own retries off; our retries
  (stamina) for 429 (honouring ``Retry-After``), 5xx, timeouts and broken connections; a request
  rate limit (aiolimiter, ``llm_rpm``) and a concurrency limit (``llm_concurrency``). openai's
  exceptions are translated here, once, into :mod:`dailypapers.errors` ``LLMError`` classes.
- ``AnthropicClient``: the same over Anthropic's own SDK (``pip install 'dailypapers[anthropic]'``),
  with the schema sent as one forced tool.
- ``make_client(config)``: the client a config needs (Anthropic's for ``anthropic``).
- ``FakeLLM``: an in-process scripted model for tests (``enqueue``), recording every request.
- ``PRICES`` / ``estimate_cost``: USD per 1M input/output tokens, where known.

The API key lives in a ``SecretStr`` and is unwrapped only when the SDK client is built; no
repr, log line or error message of this module contains it.
"""

from __future__ import annotations

from .anthropic import AnthropicClient
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
    "AnthropicClient",
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
    "make_client",
    "resolve_llm",
    "response_format",
]


def make_client(config: LLMConfig) -> LLMClient:
    """The client ``config`` needs: ``AnthropicClient`` for ``anthropic``, else OpenAI-compatible.

    Raises ``UsageError`` for ``anthropic`` when its SDK is not installed.
    """
    if config.provider == "anthropic":
        return AnthropicClient(config)
    return OpenAICompatibleClient(config)
