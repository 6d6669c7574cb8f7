"""What the store hands back besides the models: run and outcome records, and row conversions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from ..models import RunStats, Summary
from ._parts import clean_text

__all__ = [
    "RUN_STATUSES",
    "OutcomeRecord",
    "RunRecord",
    "RunStatus",
    "aware",
    "now",
    "run_from_row",
    "summary_from_row",
    "summary_values",
]

RunStatus = Literal["running", "done", "failed", "interrupted"]
RUN_STATUSES = ("running", "done", "failed", "interrupted")


@dataclass(frozen=True)
class RunRecord:
    """One run as stored: what was asked (settings without secrets), when, and how it ended."""

    id: int
    day: date
    template: str
    language: str
    model: str | None
    settings: dict[str, Any]
    started: datetime
    finished: datetime | None
    status: str
    stats: RunStats | None


@dataclass(frozen=True)
class OutcomeRecord:
    """What one run made of one paper."""

    run_id: int
    paper_id: str
    outcome: str
    source: str | None
    error: str | None


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def summary_values(summary: Summary) -> dict[str, Any]:
    """The columns of a summaries row; a missing model or text hash is stored as ''."""
    return {
        "paper_id": summary.paper_id,
        "template": summary.template,
        "language": summary.language,
        "model": summary.model or "",
        "text_hash": summary.text_hash or "",
        "fields": json.loads(json.dumps(summary.fields, default=str)),
        "error": clean_text(summary.error),
        "llm_calls": summary.llm_calls,
        "prompt_tokens": summary.prompt_tokens,
        "completion_tokens": summary.completion_tokens,
        "cost_usd": summary.cost_usd,
        "findings": [f.model_dump(mode="json") for f in summary.findings],
        "found": sum(1 for f in summary.findings if f.found),
        "unsupported": len(summary.unsupported),
        "created": now(),
    }


def summary_from_row(row: Any) -> Summary:
    return Summary(
        paper_id=row.paper_id,
        template=row.template,
        language=row.language,
        model=row.model or None,
        text_hash=row.text_hash or None,
        fields=row.fields,
        error=row.error,
        llm_calls=row.llm_calls,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_usd=row.cost_usd,
        findings=row.findings,
    )


def run_from_row(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id,
        day=row.day,
        template=row.template,
        language=row.language,
        model=row.model,
        settings=row.settings,
        started=aware(row.started) or now(),
        finished=aware(row.finished),
        status=row.status,
        stats=None if row.stats is None else RunStats.model_validate(row.stats),
    )
