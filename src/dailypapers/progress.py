"""What a person sees while a run goes: progress bars on a terminal, log lines elsewhere, and
the closing summary (papers, reused, failed with reasons, reading sources, tokens, cost, time).
"""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from .models import Digest

__all__ = ["Progress", "print_summary"]

log = logging.getLogger("dailypapers")

_STAGES = {"fulltext": "reading", "summary": "summarizing", "done": "done", "failed": "failed"}


class Progress:
    """A pipeline listener: one bar per stage on a terminal, plain log lines when not a TTY."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.live = console.is_terminal and not quiet
        self.quiet = quiet
        self.bars: RichProgress | None = None
        self.tasks: dict[str, Any] = {}
        self.total = 0

    def __enter__(self) -> Progress:
        if self.live:
            self.bars = RichProgress(
                TextColumn("{task.description:>12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.stop()

    def __call__(self, event: Any) -> None:
        if event.stage == "list":
            if event.total:
                self.total = event.total
                if self.bars is not None:
                    self.tasks = {
                        stage: self.bars.add_task(label, total=event.total)
                        for stage, label in _STAGES.items()
                    }
                log.info("%s: %d papers", event.detail, event.total)
            return
        if self.bars is not None and event.stage in self.tasks:
            self.bars.advance(self.tasks[event.stage])
        elif not self.quiet:
            log.info("%-9s %s %s", event.stage, event.paper_id or "", event.detail)


def print_summary(console: Console, digest: Digest, *, quiet: bool = False) -> None:
    """The closing summary of one date's run."""
    if quiet:
        return
    s = digest.stats
    sources = ", ".join(f"{k} {v}" for k, v in sorted(s.sources.items())) or "none read"
    if s.cost_usd is not None:
        cost = f"${s.cost_usd:.4f}"
    else:
        cost = "$0" if s.llm_calls == 0 else "unknown (no price for this model)"
    model = digest.model or "no LLM (HF summaries and abstracts)"
    written = (
        f"{s.summarized} summarized, {s.reused} reused"
        if digest.model
        else f"{s.papers - s.failed} from HF metadata"
    )
    lines = [
        f"{digest.date}: {s.papers} papers, {written}, {s.failed} failed",
        f"  model: {model}; read from: {sources}",
        f"  LLM calls {s.llm_calls}, tokens {s.prompt_tokens} in / {s.completion_tokens} out, "
        f"cost {cost}, wall {s.wall_seconds:.1f}s",
    ]
    lines += [f"  failed {pid}: {why}" for pid, why in s.failures.items()]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
