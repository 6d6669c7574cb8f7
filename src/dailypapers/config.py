"""Settings: every knob of dailypapers, read at call time.

Precedence, lowest first: defaults < TOML file < environment (``DAILYPAPERS_<NAME>``) < CLI flags
(passed as keyword arguments to :func:`load_settings`). The TOML file is ``$DAILYPAPERS_CONFIG``,
else ``dailypapers.toml`` in the working directory, else ``config.toml`` in the data dir, if any.
A ``$DAILYPAPERS_CONFIG`` that does not exist, or a file that is not valid TOML, is a UsageError.
List settings (``formats``, ``keywords``, ``exclude_keywords``, ``publish``, ``notify``) take a TOML
or JSON list, or a plain comma-separated string (``DAILYPAPERS_FORMATS=md,html``); ``formats`` is
checked here (md, html, json) so a bad one fails before any work is done.
The API key is a ``SecretStr``: it prints as ``**********`` and is only unwrapped by the LLM client.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import UsageError

__all__ = ["Settings", "default_data_dir", "load_settings"]


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dailypapers"


FORMATS = ("md", "html", "json")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

#: A list setting: from TOML a list; from the environment JSON or ``a,b,c`` (see _split_list).
StrList = Annotated[list[str], NoDecode]


def _config_file() -> Path | None:
    explicit = os.environ.get("DAILYPAPERS_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise UsageError(f"config file not found: {path} (DAILYPAPERS_CONFIG)")
        return path
    for candidate in (
        Path("dailypapers.toml"),
        Path(os.environ.get("DAILYPAPERS_DATA_DIR") or default_data_dir()) / "config.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def _toml_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError, or bytes that are not UTF-8
        reason = " ".join(str(exc).split())
        raise UsageError(f"config file {path} is not valid TOML: {reason}") from None


def _split_list(value: Any, *, targets: bool = False) -> Any:
    """A string becomes a list: a JSON list as is, else split at commas. With ``targets``
    (notify), a piece that does not start with a scheme (``mailto:``, ``slack:``, ...) belongs to
    the target before it, so ``mailto:a@x.org,b@x.org?smtp=...`` stays one target."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ValueError("not a valid JSON list; write a,b,c or a JSON list") from None
        return parsed
    pieces: list[str] = []
    for piece in text.split(","):
        if targets and pieces and not _SCHEME.match(piece.strip()):
            pieces[-1] = f"{pieces[-1]},{piece}"
        else:
            pieces.append(piece)
    return [p.strip() for p in pieces if p.strip()]


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
    formats: StrList = Field(default_factory=lambda: ["md", "json"])
    publish: StrList = Field(default_factory=list)
    notify: StrList = Field(default_factory=list)
    public_url: str | None = None
    s3_endpoint_url: str | None = None

    # What to summarize, and how.
    template: str = "digest-vi"
    lang: str | None = None
    limit: int | None = None
    min_upvotes: int = 0
    sort: str = "api"
    keywords: StrList = Field(default_factory=list)
    exclude_keywords: StrList = Field(default_factory=list)
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

    @field_validator("formats", "keywords", "exclude_keywords", "publish", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("notify", mode="before")
    @classmethod
    def _target_list(cls, value: Any) -> Any:
        return _split_list(value, targets=True)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        wanted: list[str] = []
        for item in value:
            for name in item.split(","):
                name = name.strip().lower()
                if not name or name in wanted:
                    continue
                if name not in FORMATS:
                    raise ValueError(f"unknown format {name!r} (choose from md, html, json)")
                wanted.append(name)
        if not wanted:
            raise ValueError("give at least one of md, html, json")
        return wanted

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
            sources.append(_toml_source(settings_cls, path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings now; ``overrides`` (CLI flags) win. ``None`` values are ignored."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise UsageError(f"invalid setting {where}: {message}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read settings: {exc}") from None
