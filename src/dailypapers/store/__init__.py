"""The store: the only code that talks to the database (SQLAlchemy 2 Core, synchronous).

It owns the tables and what goes in and out of them: papers and the daily list of each date,
full texts, summaries (the paid-for work, keyed by paper + template + language + model + text
hash), runs (settings without secrets, stats) and each run's per-paper outcomes. SQLite (a file,
WAL mode, busy timeout, foreign keys on) is the default; PostgreSQL is used through a
``postgresql+psycopg://`` URL (``postgres://`` and ``postgresql://`` are normalised to it). Every
write is its own committed transaction, so a process killed right after a call returns loses
nothing that call stored. SQLAlchemy errors leave as :class:`~dailypapers.errors.StoreError` with
a one-line message that never shows the password.

    _tables.py   the tables and SCHEMA_VERSION
    _parts.py    URL normalising, the engine (SQLite pragmas), error lines, secret scrubbing
    _records.py  RunRecord, OutcomeRecord, and rows <-> models
    _core.py     Store
"""

from __future__ import annotations

from ._core import OutcomeRecord, RunRecord, RunStatus, Store
from ._parts import normalize_url
from ._tables import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "OutcomeRecord", "RunRecord", "RunStatus", "Store", "normalize_url"]
