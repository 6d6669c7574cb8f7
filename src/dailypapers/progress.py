"""What a person sees while a run goes: progress bars on a terminal, log lines elsewhere, and
the closing summary (papers, reused, failed with reasons, reading sources, tokens, cost, time).

:func:`setup_logging` sends log lines through the same console as the bars (on a terminal, a
RichHandler prints them above the live bars instead of breaking them; elsewhere plain
``LEVEL message`` lines) and quiets the chatty third-party loggers.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import IO, Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from .models import Digest

__all__ = ["Progress", "print_summary", "setup_logging"]

log = logging.getLogger("dailypapers")

_STAGES = {"fulltext": "reading", "summary": "summarizing", "done": "done", "failed": "failed"}
#: Stages a finished paper has gone through even when nothing was emitted for them (its full
#: text or summary came from the store).
_PASSED = ("fulltext", "summary")

_HANDLER_NAME = "dailypapers"
#: Loggers that say too much at INFO (every request) -> WARNING. stamina's own
#: "stamina.retry_scheduled" warnings name no URL, so they are noise: ERROR.
_NOISY = {
    "httpx2": logging.WARNING,
    "httpcore2": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "openai": logging.WARNING,
    "anthropic": logging.WARNING,
    "stamina": logging.ERROR,
}


class _ConsoleStreamHandler(logging.StreamHandler):
    """Plain lines to the console's file, looked up at each record (``Console(stderr=True)``
    follows ``sys.stderr`` even when it is replaced later, as test runners do)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self._console = console

    @property
    def stream(self) -> IO[str]:
        return self._console.file

    @stream.setter
    def stream(self, value: object) -> None:  # StreamHandler.__init__ assigns it
        pass


def setup_logging(verbose: int, quiet: bool, console: Console) -> None:
    """Configure logging for the command line: ``dailypapers`` at WARNING if ``quiet``, DEBUG if
    ``verbose``, else INFO; one handler on the root logger writing through ``console``.

    Calling it again replaces the handler it installed (no duplicate lines).
    """
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler: logging.Handler
    if console.is_terminal:
        handler = RichHandler(console=console, show_path=False, markup=False)
    else:
        handler = _ConsoleStreamHandler(console)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose and not quiet else logging.WARNING)
    logging.getLogger("dailypapers").setLevel(level)
    for name, noisy_level in _NOISY.items():
        logging.getLogger(name).setLevel(noisy_level)


class Progress:
    """A pipeline listener: one bar per stage on a terminal, plain log lines when not a TTY."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.live = console.is_terminal and not quiet
        self.quiet = quiet
        self.bars: RichProgress | None = None
        self.tasks: dict[str, Any] = {}
        self.counts: Counter[str] = Counter()
        self.total = 0
        self.tokens = 0  # LLM tokens so far, shown beside the summarizing bar

    def __enter__(self) -> Progress:
        if self.live:
            self.bars = RichProgress(
                TextColumn("{task.description:>12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}"),
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
                self.counts.clear()
                if self.bars is not None:
                    self.tasks = {
                        stage: self.bars.add_task(label, total=event.total, note="")
                        for stage, label in _STAGES.items()
                    }
                log.info("%s: %d papers", event.detail, event.total)
            return
        self.counts[event.stage] += 1
        self.tokens += getattr(event, "tokens", 0)
        if self.bars is not None and event.stage in self.tasks:
            self._update_bars()
        elif not self.quiet:
            log.info("%-9s %s %s", event.stage, event.paper_id or "", event.detail)

    def _update_bars(self) -> None:
        """Each bar from the counts; a finished paper counts as read and summarized even when
        its text or summary came from the store (no event was emitted for that stage)."""
        assert self.bars is not None
        finished = self.counts["done"] + self.counts["failed"]
        for stage, task in self.tasks.items():
            count = self.counts[stage]
            if stage in _PASSED:
                count = max(count, finished)
            self.bars.update(task, completed=min(count, self.total))
        if "summary" in self.tasks and self.tokens:
            self.bars.update(self.tasks["summary"], note=f"{self.tokens:,} tokens")


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
    findings = [f for item in digest.items if item.summary for f in item.summary.findings]
    if findings:
        found = sum(f.found for f in findings)
        lines.append(
            f"  checked against the text: {found} of {len(findings)} numbers and names found, "
            f"{len(findings) - found} marked in the report"
        )
    lines += [f"  failed {pid}: {why}" for pid, why in s.failures.items()]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
