"""The error tree of dailypapers: every failure the tool expects has a class here.

Foreign exceptions (httpx2, openai, pypdfium2, SQLAlchemy, ...) are translated into these once,
where they enter a stage. Each class knows the process exit code it maps to and whether trying
again may help. Messages are one line, name what failed, and never contain a secret.

    DailyPapersError                 exit 1
    ├── UsageError                   exit 2   bad command line, settings or template
    │   └── TemplateError            exit 2   a template file that cannot be used
    ├── NoPapersError                exit 3   the date has no papers (weekend, holiday)
    ├── HTTPError                    exit 1   a request failed (transport or status)
    │   ├── RateLimitedError                  429; carries retry_after            retryable
    │   ├── ServerError                       5xx                                 retryable
    │   ├── RequestTimeoutError               connect/read timeout                retryable
    │   └── NotFoundError                     404                                 not retryable
    ├── SourceError                  exit 1   the daily list is unreachable or malformed
    ├── FullTextError                         per paper: no readable text from one source
    ├── LLMError                              the model could not be used
    │   ├── LLMRateLimitedError               429 from the provider               retryable
    │   ├── LLMUnavailableError               5xx, timeout, broken connection     retryable
    │   ├── LLMAuthenticationError            401/403: the key is missing or wrong   run-level
    │   ├── LLMRejectedError                  a parameter refused (thinking model)  run-level
    │   └── InvalidOutputError                the answer stayed invalid after re-asks
    ├── StoreError                   exit 1   the database cannot be used
    └── PublishError                 exit 4   the digest was written but not uploaded or delivered

Per-paper errors (``FullTextError``, ``LLMError``, per-paper ``HTTPError``) never end a run: the
pipeline turns them into a stub with the reason. Only run-level failures reach the CLI; an
authentication failure or a rejected parameter is run-level, since every paper would fail alike.
"""

from __future__ import annotations

__all__ = [
    "DailyPapersError",
    "FullTextError",
    "HTTPError",
    "InvalidOutputError",
    "LLMAuthenticationError",
    "LLMError",
    "LLMRateLimitedError",
    "LLMRejectedError",
    "LLMUnavailableError",
    "NoPapersError",
    "NotFoundError",
    "PublishError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "SourceError",
    "StoreError",
    "TemplateError",
    "UsageError",
]


class DailyPapersError(Exception):
    """Base of every error dailypapers raises on purpose."""

    exit_code: int = 1
    retryable: bool = False


class UsageError(DailyPapersError):
    """Bad command line, settings or configuration."""

    exit_code = 2


class TemplateError(UsageError):
    """A template that cannot be loaded or used."""


class NoPapersError(DailyPapersError):
    """The daily list of that date is empty (normal on weekends and holidays)."""

    exit_code = 3


class HTTPError(DailyPapersError):
    """A request failed. ``url`` and ``status`` (None for transport errors) say which."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RateLimitedError(HTTPError):
    """HTTP 429; ``retry_after`` is the server's wish in seconds, if it said one."""

    retryable = True

    def __init__(
        self, message: str, *, url: str = "", status: int | None = 429, retry_after: float | None
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class ServerError(HTTPError):
    """HTTP 5xx or a broken connection."""

    retryable = True


class RequestTimeoutError(HTTPError):
    """The server did not answer in time."""

    retryable = True


class NotFoundError(HTTPError):
    """HTTP 404 (or 410): the resource is not there."""


class SourceError(DailyPapersError):
    """The daily list could not be read: unreachable, not JSON, wrong shape."""


class FullTextError(DailyPapersError):
    """One source of one paper's text could not be read (corrupt PDF, unusable HTML)."""


class LLMError(DailyPapersError):
    """The language model could not produce a summary."""


class LLMRateLimitedError(LLMError):
    """The provider said 429."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMUnavailableError(LLMError):
    """5xx, a timeout or a broken connection: the provider may answer if asked again."""

    retryable = True


class LLMAuthenticationError(LLMError):
    """HTTP 401/403 from the provider: the key is missing, wrong or not allowed (run-level)."""


class LLMRejectedError(LLMError):
    """The provider refused the request as built (unsupported parameter, bad model name)."""


class InvalidOutputError(LLMError):
    """The model's answer stayed invalid after every allowed re-ask."""


class StoreError(DailyPapersError):
    """The database could not be opened, migrated or written."""


class PublishError(DailyPapersError):
    """The digest is written, but an upload or a delivery failed."""

    exit_code = 4
