"""What a person sees: logging set up through the console, and bars that reach the end even when
papers come from the store."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console
from rich.logging import RichHandler

from dailypapers.pipeline import Event
from dailypapers.progress import Progress, setup_logging

NAMED = [
    "dailypapers",
    "httpx2",
    "httpcore2",
    "httpx",
    "httpcore",
    "openai",
    "anthropic",
    "stamina",
]


@pytest.fixture(autouse=True)
def restore_logging():
    """setup_logging changes process-wide state: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in NAMED}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.get_name() == "dailypapers"]


def plain_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


@pytest.mark.parametrize(
    ("verbose", "quiet", "level"),
    [(0, False, logging.INFO), (1, False, logging.DEBUG), (0, True, logging.WARNING)],
)
def test_levels(verbose, quiet, level):
    console, _ = plain_console()
    setup_logging(verbose, quiet, console)
    assert logging.getLogger("dailypapers").level == level
    for name in ("httpx2", "httpcore2", "httpx", "httpcore", "openai", "anthropic"):
        assert logging.getLogger(name).level == logging.WARNING
    assert logging.getLogger("stamina").level == logging.ERROR  # its retry warnings are noise


def test_plain_lines_when_not_a_terminal_and_idempotent():
    console, buffer = plain_console()
    setup_logging(0, False, console)
    setup_logging(0, False, console)
    assert len(ours()) == 1
    assert not isinstance(ours()[0], RichHandler)
    logging.getLogger("dailypapers.pipeline").info("paper %s done", "2601.00001")
    logging.getLogger("dailypapers.net").debug("not shown at INFO")
    logging.getLogger("stamina").warning("stamina.retry_scheduled")
    assert buffer.getvalue() == "INFO paper 2601.00001 done\n"


def test_quiet_shows_warnings_only():
    console, buffer = plain_console()
    setup_logging(0, True, console)
    logging.getLogger("dailypapers").info("hidden")
    logging.getLogger("dailypapers.net").warning("download cache not writable")
    assert buffer.getvalue() == "WARNING download cache not writable\n"


def test_a_terminal_gets_a_rich_handler_on_the_same_console():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    setup_logging(0, False, console)
    setup_logging(1, False, console)
    (handler,) = ours()
    assert isinstance(handler, RichHandler) and handler.console is console


def test_bars_reach_the_end_when_texts_and_summaries_come_from_the_store():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with Progress(console) as progress:
        progress(Event("list", detail="2026-01-02"))
        progress(Event("list", detail="2026-01-02", total=3))
        progress(Event("done", "a"))  # text and summary from the store: no fulltext/summary event
        progress(Event("fulltext", "b"))
        progress(Event("summary", "b"))
        progress(Event("done", "b", tokens=12_000))
        progress(Event("fulltext", "c"))
        progress(Event("failed", "c", tokens=3_456))
        assert progress.bars is not None
        completed = {
            task.description: task.completed
            for task in progress.bars.tasks
            if task.id in progress.tasks.values()
        }
        notes = {task.description: task.fields["note"] for task in progress.bars.tasks}
    assert completed == {"reading": 3, "summarizing": 3, "done": 2, "failed": 1}
    assert notes["summarizing"] == "15,456 tokens"


def test_closing_summary_counts_sources_tokens_checks_and_failures():
    from datetime import UTC, date, datetime

    from dailypapers.models import Digest, Finding, Paper, PaperResult, RunStats, Summary
    from dailypapers.progress import print_summary

    findings = [
        Finding(field="results", claim="97.81%", kind="number", found=True),
        Finding(field="results", claim="GPT-9", kind="name", found=False),
    ]
    summary = Summary(paper_id="2601.00001", template="t", language="en", findings=findings)
    items = [
        PaperResult(
            paper=Paper(id="2601.00001", title="A"),
            source="html",
            summary=summary,
            outcome="summarized",
        ),
        PaperResult(paper=Paper(id="2601.00002", title="B"), outcome="failed", error="boom"),
    ]
    stats = RunStats(
        papers=2,
        summarized=1,
        failed=1,
        sources={"html": 1},
        failures={"2601.00002": "boom"},
        llm_calls=3,
        prompt_tokens=1200,
        completion_tokens=300,
        cost_usd=0.0021,
        wall_seconds=4.2,
    )
    digest = Digest(
        date=date(2026, 1, 8),
        template="t",
        language="en",
        model="m",
        generated_at=datetime.now(UTC),
        items=items,
        stats=stats,
    )
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=200), digest)
    text = buffer.getvalue()
    assert "2026-01-08: 2 papers, 1 summarized, 0 reused, 1 failed" in text
    assert "read from: html 1" in text
    assert "LLM calls 3, tokens 1200 in / 300 out, cost $0.0021" in text
    assert "1 of 2 numbers and names found, 1 marked in the report" in text
    assert "failed 2601.00002: boom" in text
    quiet = io.StringIO()
    print_summary(Console(file=quiet), digest, quiet=True)
    assert quiet.getvalue() == ""
