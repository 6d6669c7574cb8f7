"""The store's tables (SQLAlchemy Core) and the version of their layout."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "SCHEMA_VERSION",
    "daily_lists",
    "fulltexts",
    "meta",
    "metadata",
    "outcomes",
    "papers",
    "runs",
    "summaries",
]

#: Version of the table layout, written into the ``meta`` table.
SCHEMA_VERSION = 1

metadata = MetaData()
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)
daily_lists = Table(
    "daily_lists",
    metadata,
    Column("day", Date, primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id"), primary_key=True),
    Column("position", Integer, nullable=False),
)
fulltexts = Table(
    "fulltexts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("url", Text),
    Column("text_hash", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("paper_id", "source"),
)
# model and text_hash are "" (not NULL) when absent, so the unique key also holds for them.
summaries = Table(
    "summaries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False),
    Column("template", String(128), nullable=False),
    Column("language", String(32), nullable=False),
    Column("model", String(256), nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("error", Text),
    Column("llm_calls", Integer, nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cost_usd", Float),
    Column("findings", JSON, nullable=False),
    Column("found", Integer, nullable=False),
    Column("unsupported", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("paper_id", "template", "language", "model", "text_hash"),
)
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("template", String(128), nullable=False),
    Column("language", String(32), nullable=False),
    Column("model", String(256)),
    Column("settings", JSON, nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("stats", JSON),
)
outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("paper_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("source", String(16)),
    Column("error", Text),
    Column("result", JSON),  # the whole PaperResult, so a digest can be rebuilt
    UniqueConstraint("run_id", "paper_id"),
)
