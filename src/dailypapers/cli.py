"""The command line: a thin shell over the library (parse, build Settings, call, print, exit).

Every expected failure is a ``DailyPapersError``; it is caught once, in :func:`main`, and printed
as one line with its exit code (0 ok, 1 error, 2 usage, 3 no papers, 4 publish failed). Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .config import Settings, load_settings
from .errors import DailyPapersError, NoPapersError, UsageError

__all__ = ["app", "main"]

app = typer.Typer(
    help="Read the Hugging Face Daily Papers for you: full text, summaries, checked, published.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
templates_app = typer.Typer(help="List and show summary templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")

out = Console()
err = Console(stderr=True)
log = logging.getLogger("dailypapers")


def _date(value: str | None, flag: str = "--date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} must be YYYY-MM-DD, got {value!r}") from None


def _setup_logging(verbose: int, quiet: bool) -> None:
    from .progress import setup_logging

    setup_logging(verbose, quiet, err)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit()


@app.command()
def run(
    day: Annotated[str | None, typer.Option("--date", help="List date YYYY-MM-DD.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date of a range.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date of a range.")] = None,
    template: Annotated[str | None, typer.Option(help="Template name or file.")] = None,
    lang: Annotated[str | None, typer.Option(help="Output language code, e.g. vi, zh.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report folder.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="md,html,json")] = None,
    limit: Annotated[int | None, typer.Option(help="At most N papers.")] = None,
    min_upvotes: Annotated[int | None, typer.Option(help="Skip papers below N votes.")] = None,
    sort: Annotated[str | None, typer.Option(help="api, upvotes or published.")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Keep papers matching.")] = None,
    exclude_keyword: Annotated[list[str] | None, typer.Option(help="Drop matches.")] = None,
    force: Annotated[bool, typer.Option(help="Redo stored full texts and summaries.")] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Write without an LLM.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Papers in flight at once.")] = None,
    llm_provider: Annotated[str | None, typer.Option(help="gemini, openai, ...")] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    llm_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Show the plan and cost; call no LLM.")] = False,
    publish: Annotated[
        list[str] | None, typer.Option(help="Upload to a folder, s3:// or wikijs:// URL.")
    ] = None,
    notify: Annotated[
        list[str] | None, typer.Option(help="mailto:, slack:, discord:, telegram:, webhook:")
    ] = None,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True)] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
) -> None:
    """Write the digest of a date (default: the latest day with papers)."""
    _setup_logging(verbose, quiet)
    settings = load_settings(
        template=template,
        lang=lang,
        out=out_dir,
        formats=_split([fmt]) if fmt else None,
        limit=limit,
        min_upvotes=min_upvotes,
        sort=sort,
        keywords=_split(keyword),
        exclude_keywords=_split(exclude_keyword),
        force=force or None,
        no_llm=no_llm or None,
        concurrency=concurrency,
        llm_provider=llm_provider,
        llm_model=llm_model,
        llm_base_url=llm_base_url,
        publish=publish or None,
        notify=notify or None,
    )
    first, last = _date(start, "--from"), _date(end, "--to")
    if (first is None) != (last is None):
        raise UsageError("--from and --to go together")
    if day and first:
        raise UsageError("use --date or --from/--to, not both")
    if dry_run:
        _dry_run(settings, _date(day), first, last)
        return
    _check_targets(settings)
    from .schedule import run_lock

    with run_lock(settings.data_dir):
        try:
            _run(settings, _date(day), first, last, quiet)
        except KeyboardInterrupt:
            err.print("interrupted: what was finished is kept; run again to go on", markup=False)
            raise typer.Exit(130) from None


def _check_targets(settings: Settings) -> None:
    """Refuse bad --publish / --notify targets before any work is done."""
    from .publish import is_wikijs_url, parse_wikijs_url, validate_targets

    validate_targets(settings.notify)
    for url in settings.publish:
        if is_wikijs_url(url):
            parse_wikijs_url(url)


def _run(
    settings: Settings, day: date | None, first: date | None, last: date | None, quiet: bool
) -> None:
    """Run the date (or each date of the range), print, then publish every written digest.

    A date or a target that fails never stops the others; the exit code is the worst seen."""
    from . import pipeline
    from .progress import Progress, print_summary

    failures: dict[date, DailyPapersError] = {}
    with Progress(err, quiet=quiet) as progress:
        if first and last:
            run = pipeline.run_range(first, last, settings, listener=progress)
            results, failures = asyncio.run(run)
        else:
            results = [asyncio.run(_run_latest(settings, day, progress))]
    for result in results:
        print_summary(err, result.digest, quiet=quiet)
        for path in result.paths.values():
            out.print(str(path), soft_wrap=True, markup=False, highlight=False)
    problems = [*failures.values()]
    problems += [exc for exc in map(pipeline.all_failed, results) if exc is not None]
    for result in results:
        try:
            asyncio.run(pipeline.publish_result(result, settings))
        except DailyPapersError as exc:
            problems.append(exc)
    if problems:
        worst = max(problems, key=lambda exc: exc.exit_code)
        for problem in problems:
            if problem is not worst:
                err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise worst


LATEST_DAYS = 4  # with no --date: today and the 3 days before (weekends, holidays)


def _latest_days() -> list[date]:
    """The dates tried, newest first, when no date is given."""
    today = datetime.now(UTC).date()
    return [today - timedelta(days=back) for back in range(LATEST_DAYS)]


async def _run_latest(settings: Settings, day: date | None, listener: Any) -> Any:
    """Run ``day``; with no date, the latest of the last 4 days whose list is not empty."""
    from . import pipeline

    if day is not None:
        return await pipeline.run_day(day, settings, listener=listener)
    days = _latest_days()
    for candidate in days:
        try:
            return await pipeline.run_day(candidate, settings, listener=listener)
        except NoPapersError:
            continue
    raise NoPapersError(f"no papers listed in the {len(days)} days up to {days[0]} (try --date)")


def _dry_run(settings: Settings, day: date | None, first: date | None, last: date | None) -> None:
    """Print what a run would do for each date (papers to summarize, reused, a cost ceiling)."""
    from . import pipeline
    from .sources import fetch_daily
    from .store import Store

    if first and last:
        days = pipeline.dates_between(first, last)
    else:
        days = [day] if day else _latest_days()

    async def listing(when: date) -> list[Any]:
        async with pipeline.fetcher_for(settings) as fetcher:
            return await fetch_daily(fetcher, settings.hf_endpoint, day=when)

    plans = []
    store = Store(settings.db_url)
    try:
        for when in days:
            papers = pipeline.choose(asyncio.run(listing(when)), settings)
            if papers:
                plans.append(
                    {"date": when.isoformat(), **pipeline.plan_day(papers, settings, store)}
                )
                if not (first and last):
                    break  # the latest day with papers, as `run` would pick
    finally:
        store.close()
    if not plans:
        raise NoPapersError(f"no papers for {', '.join(str(d) for d in days[:LATEST_DAYS])}")
    out.print_json(json.dumps(plans[0] if len(plans) == 1 and not first else plans))


@app.command("list")
def list_papers(
    day: Annotated[str | None, typer.Option("--date", help="List date YYYY-MM-DD.")] = None,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W02.")] = None,
    month: Annotated[str | None, typer.Option(help="Month, e.g. 2026-01.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most N papers.")] = None,
    min_upvotes: Annotated[int | None, typer.Option(help="Skip papers below N votes.")] = None,
    sort: Annotated[str | None, typer.Option(help="api, upvotes or published.")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Keep papers matching.")] = None,
    exclude_keyword: Annotated[list[str] | None, typer.Option(help="Drop matches.")] = None,
) -> None:
    """Print the papers of a date (a table, or JSON with --json)."""
    from . import pipeline
    from .sources import fetch_daily

    settings = load_settings(
        limit=limit,
        min_upvotes=min_upvotes,
        sort=sort,
        keywords=_split(keyword),
        exclude_keywords=_split(exclude_keyword),
    )
    chosen = _date(day) if day or week or month else datetime.now(UTC).date()

    async def listing() -> list[Any]:
        async with pipeline.fetcher_for(settings) as fetcher:
            return await fetch_daily(
                fetcher, settings.hf_endpoint, day=chosen, week=week, month=month
            )

    papers = pipeline.choose(asyncio.run(listing()), settings)
    if as_json:
        out.print_json(json.dumps([p.model_dump(mode="json") for p in papers]))
    else:
        table = Table("#", "id", "votes", "title")
        for n, paper in enumerate(papers, 1):
            table.add_row(str(n), paper.id, str(paper.upvotes), Text(paper.title))
        out.print(table)
    if not papers:
        raise NoPapersError(f"no papers for {chosen or week or month}")


@app.command()
def fulltext(
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id, e.g. 2601.02151.")],
    source: Annotated[str, typer.Option(help="auto, html, pdf or abstract.")] = "auto",
    budget: Annotated[int | None, typer.Option(help="Token budget (default: setting).")] = None,
) -> None:
    """Print the Markdown an LLM would read for a paper, with its source."""
    from . import pipeline
    from .fulltext import read_fulltext
    from .fulltext.select import select_text
    from .models import Paper, is_arxiv_id
    from .store import Store

    if not is_arxiv_id(arxiv_id):
        raise UsageError(f"not an arXiv id: {arxiv_id!r}")
    if source not in {"auto", "html", "pdf", "abstract"}:
        raise UsageError("--source must be auto, html, pdf or abstract")
    settings = load_settings(token_budget=budget)

    store = Store(settings.db_url)
    try:  # the stored metadata has the abstract (the last fallback) and the title
        paper = store.paper(arxiv_id) or Paper(id=arxiv_id, title=arxiv_id)
    finally:
        store.close()

    async def read() -> Any:
        async with pipeline.fetcher_for(settings) as fetcher:
            return await read_fulltext(paper, fetcher, settings.arxiv_endpoint, source=source)

    text = asyncio.run(read())
    chosen = select_text(text, settings.token_budget)
    skipped = f"; skipped: {', '.join(text.skipped)}" if text.skipped else ""
    out.print(
        f"<!-- read from: {text.source} {text.url or ''} | {chosen.tokens} tokens"
        f"{'; dropped: ' + ', '.join(chosen.dropped) if chosen.dropped else ''}{skipped} -->",
        markup=False,
        soft_wrap=True,
    )
    out.print(chosen.text, markup=False, soft_wrap=True, highlight=False)


@templates_app.command("list")
def templates_list() -> None:
    """List built-in and user templates."""
    from .templates import list_templates

    settings = load_settings()
    table = Table("name", "language", "description")
    for template in list_templates(settings.templates_dir):
        table.add_row(template.name, template.language, Text(template.description))
    out.print(table)


@templates_app.command("show")
def templates_show(name: Annotated[str, typer.Argument(help="Template name or file.")]) -> None:
    """Print a template's source file."""
    from .templates import load_template

    settings = load_settings()
    template = load_template(name, user_dir=settings.templates_dir)
    out.print(template.source, markup=False, soft_wrap=True, highlight=False)


@app.command()
def site(
    out_dir: Annotated[Path, typer.Option("--out", help="Site folder.")] = Path("site"),
) -> None:
    """Build the static site (pages, index, feed, search) from every digest in the store."""
    from .publish.site import build_site
    from .store import Store

    settings = load_settings()
    store = Store(settings.db_url)
    try:
        digests = store.digests()
    finally:
        store.close()
    if not digests:
        raise NoPapersError("the store has no digests yet: run `dailypapers run` first")
    index = build_site(digests, out_dir)
    out.print(str(index), markup=False, highlight=False, soft_wrap=True)


@app.command()
def schedule(
    at: Annotated[str, typer.Option(help="Local time of the daily run, HH:MM.")] = "07:00",
    tz: Annotated[str, typer.Option(help="Time zone, e.g. Asia/Ho_Chi_Minh.")] = "UTC",
    once: Annotated[bool, typer.Option(help="Run what is due (catch-up) and exit.")] = False,
    template: Annotated[str | None, typer.Option(help="Template name or file.")] = None,
    lang: Annotated[str | None, typer.Option(help="Output language code.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report folder.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="md,html,json")] = None,
    publish: Annotated[list[str] | None, typer.Option(help="Upload URL.")] = None,
    notify: Annotated[list[str] | None, typer.Option(help="Delivery target.")] = None,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True)] = 0,
) -> None:
    """Run the digest every day for the previous day's list; catch up missed days."""
    from . import pipeline
    from .schedule import run_scheduler

    _setup_logging(verbose, False)
    settings = load_settings(
        template=template,
        lang=lang,
        out=out_dir,
        formats=_split([fmt]) if fmt else None,
        publish=publish or None,
        notify=notify or None,
    )
    _check_targets(settings)

    async def job(day: date) -> int:
        try:
            result = await pipeline.run_day(day, settings)
        except NoPapersError as exc:
            log.info("%s", exc)
            return exc.exit_code
        try:
            await pipeline.publish_result(result, settings)
        except DailyPapersError as exc:
            log.error("%s", exc)
            return exc.exit_code
        return 0

    code = run_scheduler(job, at=at, tz=tz, state_dir=settings.data_dir, once=once)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: run the app, turning expected errors into one line and an exit code."""
    try:
        app()
    except DailyPapersError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
