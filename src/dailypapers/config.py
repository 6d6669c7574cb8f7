"""Settings: every knob of dailypapers, read at call time.

Precedence, lowest first: defaults < TOML file < environment (``DAILYPAPERS_<NAME>``) < CLI flags
(passed as keyword arguments to :func:`load_settings`). The TOML file is ``$DAILYPAPERS_CONFIG``,
else ``dailypapers.toml`` in the working directory, else ``config.toml`` in the data dir, if any.
The API key is a ``SecretStr``: it prints as ``**********`` and is only unwrapped by the LLM client.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import UsageError

__all__ = ["Settings", "default_data_dir", "load_settings"]


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dailypapers"


def _config_file() -> Path | None:
    explicit = os.environ.get("DAILYPAPERS_CONFIG")
    if explicit:
        return Path(explicit)
    for candidate in (
        Path("dailypapers.toml"),
        Path(os.environ.get("DAILYPAPERS_DATA_DIR") or default_data_dir()) / "config.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """All settings; each is also ``DAILYPAPERS_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="DAILYPAPERS_", extra="ignore")

    # Where things come from.
    hf_endpoint: str = "https://huggingface.co"
    arxiv_endpoint: str = "https://arxiv.org"
    user_agent: str = "dailypapers/0.1 (+https://github.com/dailypapers/dailypapers)"

    # Where things go.
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    out: Path = Path("digests")
    formats: list[str] = Field(default_factory=lambda: ["md", "json"])
    publish: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    public_url: str | None = None
    s3_endpoint_url: str | None = None

    # What to summarize, and how.
    template: str = "digest-vi"
    lang: str | None = None
    limit: int | None = None
    min_upvotes: int = 0
    sort: str = "api"
    keywords: list[str] = Field(default_factory=list)
    exclude_keywords: list[str] = Field(default_factory=list)
    token_budget: int = 24_000
    no_llm: bool = False
    force: bool = False

    # The language model.
    llm_provider: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout: float = 120.0
    llm_concurrency: int = 32
    llm_rpm: int = 60
    llm_max_tokens: int = 8192
    llm_temperature: float = 0.2
    llm_max_reasks: int = 2
    llm_max_retries: int = 4

    # Being polite and robust.
    concurrency: int = 32
    http_timeout: float = 30.0
    http_retries: int = 4
    arxiv_concurrency: int = 2
    arxiv_delay: float = 1.0
    paper_deadline: float = 600.0
    pdf_workers: int = 0
    cache: bool = True

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'dailypapers.db'}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def templates_dir(self) -> Path:
        return self.data_dir / "templates"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings now; ``overrides`` (CLI flags) win. ``None`` values are ignored."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise UsageError(f"invalid setting {where}: {first.get('msg')}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read settings: {exc}") from None
