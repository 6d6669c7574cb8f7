"""Database plumbing of the store: URLs, the engine (SQLite pragmas), messages, secret scrubbing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL

__all__ = [
    "SECRET_WORDS",
    "clean_text",
    "hide_passwords",
    "make_engine",
    "normalize_url",
    "one_line",
    "scrub",
]

#: Settings whose name contains one of these are never stored.
SECRET_WORDS = (
    "key",
    "keys",
    "secret",
    "token",
    "password",
    "passwd",
    "credential",
    "credentials",
    "auth",
    "webhook",
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^/@\s:]*:)[^@\s]*@", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://``; others unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def hide_passwords(text: str) -> str:
    """``scheme://user:secret@host`` anywhere in ``text`` becomes ``scheme://user:***@host``."""
    return _URL_PASSWORD.sub(r"\g<head>***@", text)


def one_line(exc: BaseException, password: str | None) -> str:
    """The first line of the driver's own message (no SQL, no parameters, no password)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    if password:
        line = line.replace(password, "***")
    line = hide_passwords(line)
    return line if len(line) <= 300 else line[:297] + "..."


def clean_text(text: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL, and error messages may come from untrusted input."""
    return None if text is None else text.replace("\x00", "\ufffd")


def _is_secret(name: str) -> bool:
    """A name whose last word is a secret word (``llm_api_key``, ``smtp_password``, ``authToken``);
    ``keywords``, ``token_budget`` and ``llm_max_tokens`` are not secrets."""
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())
    return bool(words) and words[-1] in SECRET_WORDS


def scrub(value: Any) -> Any:
    """A JSON-able copy of ``value`` with secret-named keys dropped and URL passwords masked."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items() if not _is_secret(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if type(value).__name__ in ("SecretStr", "SecretBytes"):
        return "**********"
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return hide_passwords(text)


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; for a SQLite file: parent dir made, WAL, busy timeout, foreign keys.

    Raises ``ImportError`` when the driver is missing and ``OSError`` when the directory cannot
    be made; the caller translates both.
    """
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the lock up front (execution option dp_begin="IMMEDIATE"), so a second
        # process waits for the busy timeout instead of failing when a read transaction later
        # tries to upgrade to a write.
        mode = conn.get_execution_options().get("dp_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
