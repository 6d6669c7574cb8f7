"""Provider presets, prices, and settings -> LLMConfig (or None: no LLM configured).

Every preset but ``anthropic`` speaks the OpenAI wire format; ``anthropic`` goes through
Anthropic's own SDK (the ``anthropic`` extra, see ``llm.make_client``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from ..config import Settings
from ..errors import UsageError
from ..net import display_url
from .base import StructuredMode

__all__ = ["PRICES", "PROVIDERS", "LLMConfig", "ProviderPreset", "estimate_cost", "resolve_llm"]


@dataclass(frozen=True)
class ProviderPreset:
    """A known OpenAI-compatible endpoint: where it is and how it is used."""

    name: str
    base_url: str | None  # None: must come from settings (custom)
    key_env: str | None  # None: no key needed (local servers)
    default_model: str | None  # None: the model must be given
    structured: StructuredMode = "json_schema"
    max_tokens_param: str = "max_tokens"


PROVIDERS: dict[str, ProviderPreset] = {
    p.name: p
    for p in (
        ProviderPreset(
            "gemini",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "GEMINI_API_KEY",
            "gemini-2.5-flash",
        ),
        ProviderPreset(
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            "gpt-4.1-mini",
            max_tokens_param="max_completion_tokens",  # reasoning models reject max_tokens
        ),
        ProviderPreset(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            "google/gemini-2.5-flash",
        ),
        ProviderPreset(
            "nvidia",
            "https://integrate.api.nvidia.com/v1",
            "NVIDIA_API_KEY",
            "meta/llama-3.3-70b-instruct",
            structured="json_object",
        ),
        ProviderPreset(
            "deepseek",
            "https://api.deepseek.com/v1",
            "DEEPSEEK_API_KEY",
            "deepseek-chat",
            structured="json_object",  # DeepSeek's JSON Output has no json_schema
        ),
        ProviderPreset(
            "anthropic",
            "https://api.anthropic.com",  # the SDK adds /v1/messages
            "ANTHROPIC_API_KEY",
            # The newest Sonnet that takes a forced tool (Sonnet 5 and later think by default
            # and reject forced tool choice with HTTP 400); claude-sonnet-4-5 retires 2026-11-30.
            "claude-sonnet-4-6",
        ),
        ProviderPreset("ollama", "http://localhost:11434/v1", None, "llama3.2"),
        ProviderPreset("vllm", "http://localhost:8000/v1", None, None),
        ProviderPreset("custom", None, None, None),
    )
}

#: Key variables tried, in order, when no provider is set.
_AUTODETECT = ("gemini", "openai", "openrouter", "nvidia", "deepseek", "anthropic")

#: USD per 1M (input, output) tokens, list prices at the time of writing (2026-01; Claude
#: 2026-11); a model not here has no known cost and reports ``None``.
PRICES: dict[str, tuple[float, float]] = {
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "deepseek-chat": (0.28, 0.42),
    "deepseek-reasoner": (0.28, 0.42),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4-6": (3.00, 15.00),
    "claude-sonnet-5": (2.00, 10.00),
    "claude-sonnet-5-5": (2.00, 10.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-5": (5.00, 25.00),
    "claude-opus-5-5": (4.00, 20.00),
}

#: A dated or ``-latest`` snapshot costs what its model costs (claude-sonnet-4-5-20250929).
_SNAPSHOT = re.compile(r"-(?:\d{8}|latest)$")


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for that many tokens of ``model``, or None.

    ``vendor/name`` also matches ``name``, and ``name-20250929`` or ``name-latest`` ``name``.
    """
    short = model.rsplit("/", 1)[-1]
    price = PRICES.get(model) or PRICES.get(short) or PRICES.get(_SNAPSHOT.sub("", short))
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


@dataclass(frozen=True)
class LLMConfig:
    """What a run talks to. ``api_key`` is a SecretStr: its repr is ``**********``."""

    provider: str
    base_url: str
    model: str
    api_key: SecretStr | None = None
    structured: StructuredMode = "json_schema"
    max_tokens_param: str = "max_tokens"
    timeout: float = 120.0
    max_retries: int = 4
    rpm: int = 60
    concurrency: int = 4

    @property
    def host(self) -> str:
        """The base URL as it may be printed: no user, password or query."""
        return display_url(self.base_url)

    @property
    def key_var(self) -> str:
        """The environment variable to name when the key is refused (never the key itself)."""
        preset = PROVIDERS.get(self.provider)
        return preset.key_env if preset and preset.key_env else "DAILYPAPERS_LLM_API_KEY"


def _env_value(env: Mapping[str, str], name: str | None) -> str | None:
    if not name:
        return None
    value = env.get(name, "").strip()
    return value or None


def resolve_llm(settings: Settings, *, env: Mapping[str, str] | None = None) -> LLMConfig | None:
    """The LLM a run uses, or None (``no_llm``, or no provider/key/base URL anywhere).

    Order: ``llm_provider`` if set; else ``DAILYPAPERS_LLM_API_KEY`` or ``llm_base_url`` with a
    base URL -> ``custom``; else the first of GEMINI, OPENAI, OPENROUTER, NVIDIA, DEEPSEEK and
    ANTHROPIC_API_KEY present in the environment. A provider that needs a key without one, an
    unknown provider, ``custom`` without a base URL or a provider without a model raise
    ``UsageError``.
    """
    if settings.no_llm:
        return None
    env = os.environ if env is None else env
    own_key = settings.llm_api_key.get_secret_value().strip() if settings.llm_api_key else None
    name = (settings.llm_provider or "").strip().lower() or None
    if name is None:
        if settings.llm_base_url:
            name = "custom"
        else:
            name = next((p for p in _AUTODETECT if _env_value(env, PROVIDERS[p].key_env)), None)
            if name is None:
                if own_key:
                    raise UsageError(
                        "DAILYPAPERS_LLM_API_KEY is set but neither DAILYPAPERS_LLM_PROVIDER "
                        "nor DAILYPAPERS_LLM_BASE_URL says where to use it"
                    )
                return None
    preset = PROVIDERS.get(name)
    if preset is None:
        known = ", ".join(PROVIDERS)
        raise UsageError(f"unknown LLM provider {name!r} (known: {known})")
    base_url = settings.llm_base_url or preset.base_url
    if not base_url:
        raise UsageError(f"LLM provider {name!r} needs DAILYPAPERS_LLM_BASE_URL (--llm-base-url)")
    key = own_key or _env_value(env, preset.key_env)
    if preset.key_env and not key:
        raise UsageError(
            f"LLM provider {name!r} needs an API key: set {preset.key_env} "
            "or DAILYPAPERS_LLM_API_KEY"
        )
    model = settings.llm_model or preset.default_model
    if not model:
        raise UsageError(f"LLM provider {name!r} needs a model: set DAILYPAPERS_LLM_MODEL")
    return LLMConfig(
        provider=name,
        base_url=base_url,
        model=model,
        api_key=SecretStr(key) if key else None,
        structured=preset.structured,
        max_tokens_param=preset.max_tokens_param,
        timeout=settings.llm_timeout,
        max_retries=max(0, settings.llm_max_retries),
        rpm=max(1, settings.llm_rpm),
        concurrency=max(1, settings.llm_concurrency),
    )
