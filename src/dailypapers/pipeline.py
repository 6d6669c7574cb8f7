"""The run: the only module that composes the stages.

For one date: fetch the list, then let every paper flow through full text -> summary -> verify on
its own task, bounded by ``Settings.concurrency`` (the fetcher bounds each host, the LLM client
bounds the provider). A paper that fails becomes a stub with its reason; a paper whose summary is
already in the store costs nothing. Only run-level failures (the list cannot be read, no papers,
bad settings, the store is gone) raise. Reports are written atomically at the end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import render
from .config import Settings
from .errors import (
    DailyPapersError,
    LLMAuthenticationError,
    LLMRejectedError,
    NoPapersError,
    PublishError,
    UsageError,
)
from .fulltext import durable, read_fulltext, start_workers
from .fulltext.select import select_text
from .llm import LLMClient, estimate_cost, make_client, resolve_llm
from .models import Digest, FullText, Paper, PaperResult, RunStats, Summary
from .net import Fetcher, HostPolicy
from .publish import deliver, is_wikijs_url, publish_wikijs, raise_for_failures, upload
from .publish.files import display_url, write_atomic
from .publish.site import build_site
from .publish.views import page_relpath
from .sources import fetch_daily, select_papers
from .store import RunStatus, Store
from .summarize import summarize, summary_without_llm
from .templates import Template, load_template
from .verify import TextIndex, index_text, unsupported_share, verify_fields

__all__ = [
    "Event",
    "RunResult",
    "all_failed",
    "choose",
    "fetcher_for",
    "plan_day",
    "publish_result",
    "run_day",
    "run_range",
    "variant_of",
]

log = logging.getLogger("dailypapers")

#: Errors that would fail every paper alike: they end the run instead of making 20 stubs.
RUN_LEVEL = (LLMAuthenticationError, LLMRejectedError, UsageError)


@dataclass
class Event:
    """A progress event: ``stage`` is list|fulltext|summary|done|failed|reused."""

    stage: str
    paper_id: str | None = None
    detail: str = ""
    total: int = 0
    tokens: int = 0  # LLM tokens (prompt + completion) this paper cost, on "done"/"failed"


Listener = Callable[[Event], None]


@dataclass
class RunResult:
    """What one date's run produced: the digest and the files written."""

    digest: Digest
    paths: dict[str, Path] = field(default_factory=dict)


def fetcher_for(settings: Settings) -> Fetcher:
    """The polite HTTP client of a run: arXiv gets its own concurrency limit and spacing."""
    arxiv_host = urlsplit(settings.arxiv_endpoint).netloc
    policies = {arxiv_host: HostPolicy(settings.arxiv_concurrency, settings.arxiv_delay)}
    return Fetcher(
        user_agent=settings.user_agent,
        timeout=settings.http_timeout,
        retries=settings.http_retries,
        policies=policies,
        default_policy=HostPolicy(concurrency=8),
        cache_dir=settings.cache_dir if settings.cache else None,
    )


def _client(settings: Settings) -> LLMClient | None:
    config = resolve_llm(settings)
    return make_client(config) if config is not None else None


def choose(papers: list[Paper], settings: Settings) -> list[Paper]:
    """The papers a run or a listing keeps: sorted and filtered as the settings say."""
    return select_papers(
        papers,
        sort=settings.sort,
        limit=settings.limit,
        min_upvotes=settings.min_upvotes,
        keywords=settings.keywords,
        exclude_keywords=settings.exclude_keywords,
    )


async def _list(fetcher: Fetcher, settings: Settings, day: date, store: Store) -> list[Paper]:
    papers = await fetch_daily(fetcher, settings.hf_endpoint, day=day)
    if papers:
        store.save_papers(day, papers)
    listed = store.papers_of(day) or papers
    chosen = choose(listed, settings)
    if not listed:
        raise NoPapersError(f"no papers for {day.isoformat()}")
    if not chosen:
        raise NoPapersError(f"none of the {len(listed)} papers of {day} match the filters")
    return chosen


class _DayRun:
    """The state of one date's run, shared by its paper tasks."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        client: LLMClient | None,
        template: Template,
        listener: Listener,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.client = client
        self.template = template
        self.emit = listener
        self.gate = asyncio.Semaphore(max(1, settings.concurrency))
        self.model = client.model if client is not None else None
        self.template_key = template_key(template)
        self.unchecked = [f.name for f in template.fields if not f.verify]

    async def fulltext(self, paper: Paper) -> FullText:
        if not self.settings.force:
            cached = self.store.fulltext(paper.id)
            if cached is not None and durable(cached):
                return cached
        self.emit(Event("fulltext", paper.id))
        text = await read_fulltext(
            paper,
            self.fetcher,
            self.settings.arxiv_endpoint,
            pdf_workers=self.settings.pdf_workers,
        )
        self.store.save_fulltext(text)
        return text

    async def summary(self, paper: Paper, text: FullText) -> tuple[Summary, bool]:
        assert self.client is not None
        language = self.template.language
        if not self.settings.force:
            found = self.store.find_summary(
                paper.id, self.template_key, language, self.client.model, text.text_hash
            )
            if found is not None:
                return found, True
        self.emit(Event("summary", paper.id))
        chosen = select_text(text, self.settings.token_budget)
        index = index_text(chosen.text)
        summary = await summarize(
            paper,
            chosen.text,
            self.template,
            self.client,
            max_reasks=self.settings.llm_max_reasks,
            max_tokens=self.settings.llm_max_tokens,
            temperature=self.settings.llm_temperature,
            text_hash=text.text_hash,
            check=self.grounding(index),
        )
        summary.template = self.template_key
        if summary.ok:
            summary.findings = verify_fields(summary.fields, index, skip=self.unchecked)
        summary.cost_usd = estimate_cost(
            self.client.model, summary.prompt_tokens, summary.completion_tokens
        )
        self.store.save_summary(summary)
        if not summary.ok and self.settings.force:  # a failed redo never hides a paid-for summary
            kept = self.store.find_summary(
                paper.id, self.template_key, language, self.client.model, text.text_hash
            )
            if kept is not None:
                log.warning(
                    "paper %s: redo failed (%s); keeping the stored summary",
                    paper.id,
                    summary.error,
                )
                return kept, True
        return summary, False

    def grounding(self, index: TextIndex) -> Callable[[dict[str, Any]], str | None] | None:
        """The re-ask rule of a template with ``max_unsupported``: too many claims of an answer
        are not in the text the model read."""
        limit = self.template.max_unsupported
        if limit is None:
            return None

        def check(fields: dict[str, Any]) -> str | None:
            findings = verify_fields(fields, index, skip=self.unchecked)
            if not findings or unsupported_share(findings) <= limit:
                return None
            missing = ", ".join(f.claim for f in findings if not f.found)
            return (
                f"these numbers and names are not in the paper's text: {missing[:400]}; "
                "use only what the paper says, written as the paper writes it"
            )

        return check

    async def paper(self, paper: Paper) -> PaperResult:
        result = PaperResult(paper=paper)
        async with self.gate:
            try:
                async with asyncio.timeout(self.settings.paper_deadline):
                    await self._paper(paper, result)
            except TimeoutError:
                result.outcome, result.error = "failed", "deadline exceeded"
            except RUN_LEVEL:
                raise
            except DailyPapersError as exc:
                result.outcome, result.error = "failed", str(exc)
            except Exception as exc:  # a bug in one paper must not sink the others
                log.warning("paper %s: internal error", paper.id, exc_info=True)
                result.outcome, result.error = "failed", f"internal error: {type(exc).__name__}"
        if result.outcome == "failed":
            log.warning("paper %s failed: %s", paper.id, result.error)
        summary, spent = result.summary, 0
        if summary is not None and result.outcome != "reused":
            spent = summary.prompt_tokens + summary.completion_tokens
        self.emit(Event("failed" if result.outcome == "failed" else "done", paper.id, tokens=spent))
        return result

    async def _paper(self, paper: Paper, result: PaperResult) -> None:
        if self.client is None:
            result.summary = summary_without_llm(paper, self.template)
            result.outcome = "no-llm"
            return
        text = await self.fulltext(paper)
        result.source, result.source_url = text.source, text.url
        result.skipped, result.text_chars = list(text.skipped), text.chars
        summary, reused = await self.summary(paper, text)
        result.summary = summary
        if not summary.ok:
            result.outcome, result.error = "failed", summary.error
        else:
            result.outcome = "reused" if reused else "summarized"


def template_key(template: Template) -> str:
    """How stored summaries name their template: its name and the hash of its shape, so that an
    edited copy of a template never reuses the summaries of the original."""
    return f"{template.name}@{template.fingerprint[:8]}"


def _stats(items: list[PaperResult], wall: float) -> RunStats:
    stats = RunStats(papers=len(items), wall_seconds=round(wall, 3))
    costs: list[float] = []
    for item in items:
        if item.source:
            stats.sources[item.source] = stats.sources.get(item.source, 0) + 1
        if item.outcome == "summarized":
            stats.summarized += 1
        elif item.outcome == "reused":
            stats.reused += 1
        elif item.outcome == "failed":
            stats.failed += 1
            stats.failures[item.paper.id] = item.error or "unknown"
        summary = item.summary
        if summary is not None and item.outcome != "reused":
            stats.llm_calls += summary.llm_calls
            stats.prompt_tokens += summary.prompt_tokens
            stats.completion_tokens += summary.completion_tokens
            if summary.cost_usd is not None:
                costs.append(summary.cost_usd)
    stats.cost_usd = round(sum(costs), 6) if costs else None
    return stats


def _settings_record(settings: Settings) -> dict[str, Any]:
    """What a run was asked to do, as stored with it: no key, and delivery targets and upload
    URLs only by their kind and host (a webhook URL's path is its secret)."""
    record = settings.model_dump(mode="json", exclude={"llm_api_key", "notify", "publish"})
    record["notify"] = [target.split(":", 1)[0] for target in settings.notify]
    record["publish"] = [display_url(url) for url in settings.publish]
    if settings.llm_base_url:
        record["llm_base_url"] = display_url(settings.llm_base_url)
    if settings.database_url:
        record["database_url"] = display_url(settings.database_url)
    return record


def variant_of(template: Template) -> str:
    """The file-name variant of a template's reports: none for the default ``digest-vi`` in
    Vietnamese, else its name (and language, when rendered in another one)."""
    if template.name == "digest-vi" and template.language == "vi":
        return ""
    if template.language != template.base_language:
        return f"{template.name}.{template.language}"
    return template.name


def write_reports(
    digest: Digest, template: Template, settings: Settings, store: Store
) -> dict[str, Path]:
    """Write the date's reports in every asked format; each file appears whole or not at all.

    ``html`` (re)builds the static site of this template and language from every digest of them
    in the store, so its index and feed list all dates, not just this one. The default template's
    site is the report folder itself; another one's is a folder named after it.
    """
    variant = variant_of(template)
    paths = render.report_paths(settings.out, digest.date, variant)
    written: dict[str, Path] = {}
    if "md" in settings.formats:
        written["md"] = write_atomic(paths["md"], render.render_markdown(digest, template))
    if "json" in settings.formats:
        written["json"] = write_atomic(paths["json"], render.render_json(digest))
    if "html" in settings.formats:
        root = settings.out / variant if variant else settings.out
        build_site(store.digests(template.name, template.language), root)
        written["html"] = root / page_relpath(digest.date)
    return written


async def run_day(
    day: date,
    settings: Settings,
    *,
    listener: Listener | None = None,
    client: LLMClient | None = None,
    store: Store | None = None,
) -> RunResult:
    """Produce the digest of ``day`` and write its reports. Raises only run-level errors."""
    emit = listener or (lambda event: None)
    template = load_template(settings.template, user_dir=settings.templates_dir, lang=settings.lang)
    owned_store, owned_client = store is None, client is None
    store = store or Store(settings.db_url)
    client = client if client is not None else _client(settings)
    started = time.monotonic()
    if client is not None:
        start_workers(settings.pdf_workers)
    try:
        async with fetcher_for(settings) as fetcher:
            emit(Event("list", detail=day.isoformat()))
            papers = await _list(fetcher, settings, day, store)
            emit(Event("list", detail=day.isoformat(), total=len(papers)))
            state = _DayRun(settings, store, fetcher, client, template, emit)
            model = state.model
            run_id = store.start_run(
                day, template.name, template.language, model, _settings_record(settings)
            )
            tasks = [asyncio.create_task(state.paper(p)) for p in papers]
            try:
                items = list(await asyncio.gather(*tasks))
            except BaseException as exc:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    if task.done() and not task.cancelled() and task.exception() is None:
                        store.save_outcome(run_id, task.result())
                failed = isinstance(exc, DailyPapersError)
                store.finish_run(
                    run_id, RunStats(papers=len(papers)), "failed" if failed else "interrupted"
                )
                raise
            for item in items:
                store.save_outcome(run_id, item)
            stats = _stats(items, time.monotonic() - started)
            # Every paper failed (the provider is down, the model is unusable): the report of
            # stubs is still written, but the run counts as failed, so the site keeps the last
            # good digest of the date and the command can exit non-zero (see ``all_failed``).
            status: RunStatus = (
                "failed" if model is not None and stats.failed == len(items) else "done"
            )
            digest = Digest(
                date=day,
                template=template.name,
                language=template.language,
                model=model,
                generated_at=datetime.now(UTC),
                items=items,
                stats=stats,
            )
            store.finish_run(run_id, stats, status)
            paths = write_reports(digest, template, settings, store)
            return RunResult(digest, paths)
    finally:
        if owned_store:
            store.close()
        aclose = getattr(client, "aclose", None) if owned_client else None
        if aclose is not None:
            await aclose()


def plan_day(papers: list[Paper], settings: Settings, store: Store) -> dict[str, Any]:
    """What a run would do, without calling an LLM: papers to summarize and a token estimate."""
    config = resolve_llm(settings)
    model = config.model if config is not None else None
    template = load_template(settings.template, user_dir=settings.templates_dir, lang=settings.lang)
    if model is None:
        return {
            "model": None,
            "papers": len(papers),
            "to_summarize": [],
            "reused": [],
            "note": "no LLM configured: the digest is written from Hugging Face's metadata",
            "prompt_tokens_max": 0,
            "cost_usd_max": 0.0,
        }
    todo: list[str] = []
    reuse: list[str] = []
    for paper in papers:
        text = store.fulltext(paper.id)
        stored = (
            text is not None
            and model is not None
            and store.find_summary(
                paper.id, template_key(template), template.language, model, text.text_hash
            )
        )
        (reuse if stored else todo).append(paper.id)
    prompt_tokens = len(todo) * settings.token_budget
    completion = len(todo) * 1500
    return {
        "model": model,
        "papers": len(papers),
        "to_summarize": todo,
        "reused": reuse,
        "prompt_tokens_max": prompt_tokens if model else 0,
        "cost_usd_max": estimate_cost(model, prompt_tokens, completion) if model else 0.0,
    }


def dates_between(start: date, end: date) -> list[date]:
    if end < start:
        raise UsageError(f"--from {start} is after --to {end}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


async def run_range(
    start: date, end: date, settings: Settings, *, listener: Listener | None = None
) -> tuple[list[RunResult], dict[date, DailyPapersError]]:
    """One report per date with papers; dates with none are skipped. A date that fails does not
    stop the others: ``(results, failures by date)``. Errors that would fail every date alike
    (bad key, bad settings) end the range at once; NoPapersError if no date had papers."""
    results: list[RunResult] = []
    failures: dict[date, DailyPapersError] = {}
    for day in dates_between(start, end):
        try:
            results.append(await run_day(day, settings, listener=listener))
        except NoPapersError:
            log.info("%s: no papers", day)
        except RUN_LEVEL:
            raise
        except DailyPapersError as exc:
            log.error("%s: %s", day, exc)
            failures[day] = exc
    if not results and not failures:
        raise NoPapersError(f"no papers between {start} and {end}")
    return results, failures


def upload_set(result: RunResult) -> list[Path]:
    """What ``--publish`` copies: the date's reports and, with ``html``, the whole site (index,
    feed, search files, styles and every date's page, whose neighbour links may have changed)."""
    files = [path for fmt, path in result.paths.items() if fmt != "html"]
    page = result.paths.get("html")
    if page is not None:
        root = page.parents[2]  # the site root above YYYY/MM/
        files += sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html"))
        names = ("index.html", "feed.xml", "search.json", "search-index.js", "static")
        files += [root / name for name in names if (root / name).exists()]
    return files


async def publish_result(result: RunResult, settings: Settings) -> None:
    """Upload the written reports and deliver the digest; raises PublishError (exit 4) at the
    end if any target failed, after trying every one, so one bad target never stops another."""
    if not (settings.publish or settings.notify):
        return
    digest, problems = result.digest, []
    markdown = result.paths["md"].read_text("utf-8") if "md" in result.paths else ""
    for url in settings.publish:
        try:
            if is_wikijs_url(url):
                await publish_wikijs(url, digest, markdown=markdown)
            else:
                options = (
                    {"endpoint_url": settings.s3_endpoint_url}
                    if url.startswith("s3") and settings.s3_endpoint_url
                    else {}
                )
                files = upload_set(result)
                await asyncio.to_thread(upload, files, settings.out, url, options)
        except PublishError as exc:
            log.error("%s", exc)
            problems.append(str(exc))
    if settings.notify:
        link = None
        if settings.public_url and "html" in result.paths:
            relative = result.paths["html"].relative_to(settings.out).as_posix()
            link = f"{settings.public_url.rstrip('/')}/{relative}"
        html = result.paths["html"].read_text("utf-8") if "html" in result.paths else None
        results = await deliver(settings.notify, digest, markdown=markdown, html=html, link=link)
        try:
            raise_for_failures(results)
        except PublishError as exc:
            problems.append(str(exc))
    if problems:
        raise PublishError("; ".join(problems))


def all_failed(result: RunResult) -> DailyPapersError | None:
    """The run-level error of a digest whose every paper failed with an LLM configured."""
    stats, digest = result.digest.stats, result.digest
    if digest.model is None or not stats.papers or stats.failed < stats.papers:
        return None
    first = next(iter(stats.failures.values()), "unknown")
    return DailyPapersError(f"all {stats.papers} papers of {digest.date} failed (first: {first})")
