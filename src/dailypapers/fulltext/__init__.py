"""The full text of a paper: arXiv HTML, else the PDF, else the abstract, and why.

This package owns the second stage of the pipeline. :func:`read_fulltext` is its entry point:

- ``source="auto"`` tries ``{arxiv_endpoint}/html/{id}`` (LaTeXML, parsed by
  :mod:`.html`), then ``{arxiv_endpoint}/pdf/{id}`` (parsed by :mod:`.pdf`), then the abstract
  of the API entry. Each source that fails adds a reason to ``FullText.skipped`` ("html: HTTP 404",
  "html: timed out", "pdf: corrupt PDF (...)", ...), so the report can say what was read and why.
  Only when even the abstract is missing does it raise :class:`~dailypapers.errors.FullTextError`.
- A parser that crashes on odd input (a bug) is logged with its traceback and counts as a skipped
  source ("pdf: parser error (IndexError)"), so one strange page never costs the paper its text.
- ``source="html"``, ``"pdf"`` or ``"abstract"`` reads that source only and raises
  ``FullTextError`` with the reason when it cannot be read (``dailypapers fulltext --source``).

The paper id is checked with :func:`~dailypapers.models.is_arxiv_id` before it is put in a URL;
a malformed id skips the downloads ("html: not an arXiv id") and falls back to the abstract.
Downloads go through :class:`~dailypapers.net.Fetcher` (per-host limits, retries, cache).

:mod:`.select` fits the text into a token budget (:func:`select_text`).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import FullTextError, HTTPError, RateLimitedError, RequestTimeoutError, UsageError
from ..models import FullText, Paper, is_arxiv_id
from ..net import Fetcher
from .select import Selection, estimate_tokens, select_text

__all__ = [
    "SOURCES",
    "Selection",
    "durable",
    "estimate_tokens",
    "read_fulltext",
    "select_text",
    "shutdown_workers",
    "start_workers",
]

#: Accepted values of ``read_fulltext(source=...)``.
SOURCES = ("auto", "html", "pdf", "abstract")

log = logging.getLogger("dailypapers")

#: Parsing runs off the event loop so that one long PDF never stalls the other papers' I/O.
#: PDF layout analysis is CPU-bound Python (and PDFium is not thread-safe), so by default PDFs are
#: parsed in a small pool of worker processes (``spawn``), started on first use. Like any
#: ``multiprocessing`` user, a script that calls the pipeline must guard its entry point with
#: ``if __name__ == "__main__":``; ``pdf_workers=1`` parses in one thread of this process instead.
_pool: Executor | None = None
_PDF_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dailypapers-pdfium")


def _pdf_pool(workers: int) -> Executor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_watch_parent,
            initargs=(os.getpid(),),
        )
    return _pool


def _watch_parent(parent: int) -> None:
    """In a PDF worker: exit as soon as the process that started it is gone (even after a
    ``kill -9`` of the run, which no cleanup code sees), so no worker outlives its run."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="dailypapers-parent-watch", daemon=True).start()


@atexit.register
def shutdown_workers() -> None:
    """Stop the PDF worker processes (they start again on the next PDF)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _workers(requested: int) -> int:
    return requested or max(1, min(4, os.cpu_count() or 1))


def start_workers(pdf_workers: int = 0) -> None:
    """Start the PDF worker processes now (they import in the background), so the first PDFs of
    a run do not wait for them. Does nothing when PDFs are parsed in this process."""
    workers = _workers(pdf_workers)
    if workers > 1:
        pool = _pdf_pool(workers)
        for _ in range(workers):
            pool.submit(_warm)


def _warm() -> None:
    from . import pdf  # noqa: F401  (import the parser in the worker)


async def _parse_pdf_off_loop(body: bytes, paper_id: str, url: str, workers: int) -> FullText:
    loop = asyncio.get_running_loop()
    workers = _workers(workers)
    if workers > 1:
        try:
            pool = _pdf_pool(workers)
            return await loop.run_in_executor(pool, _parse_pdf, body, paper_id, url)
        except BrokenProcessPool:  # a worker died (out of memory, killed): parse here instead
            log.warning("PDF worker died; parsing %s in the main process", paper_id)
            shutdown_workers()
    return await loop.run_in_executor(_PDF_THREAD, _parse_pdf, body, paper_id, url)


_TIMED_OUT, _RATE_LIMITED, _NO_CONNECTION = (
    "timed out",
    "HTTP 429 (rate limited)",
    "connection failed",
)
#: Skip reasons of a passing failure: a later run may well read that source.
_PASSING = (_TIMED_OUT, _RATE_LIMITED, _NO_CONNECTION, "HTTP 5")


def _http_reason(exc: HTTPError) -> str:
    if isinstance(exc, RequestTimeoutError):
        return _TIMED_OUT
    if isinstance(exc, RateLimitedError):
        return _RATE_LIMITED
    if exc.status is not None:
        return f"HTTP {exc.status}"
    return _NO_CONNECTION


def durable(text: FullText) -> bool:
    """Whether a stored text is worth reusing: not a fallback forced by a passing failure
    (timeout, 429, 5xx, broken connection) of an earlier source, which should be tried again."""
    return not any(word in reason for reason in text.skipped for word in _PASSING)


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _has_text(ft: FullText) -> bool:
    return bool((ft.abstract or "").strip()) or any(s.text.strip() for s in ft.sections)


def _parse_html(body: bytes, paper_id: str, url: str) -> FullText:
    from .html import html_to_fulltext

    return html_to_fulltext(body, paper_id=paper_id, url=url)


def _parse_pdf(body: bytes, paper_id: str, url: str) -> FullText:
    from .pdf import pdf_to_fulltext

    return pdf_to_fulltext(body, paper_id=paper_id, url=url)


async def _download(
    kind: str, paper: Paper, fetcher: Fetcher, endpoint: str, pdf_workers: int = 0
) -> FullText:
    """Read one downloaded source; raises FullTextError with the reason ("html: HTTP 404")."""
    if not is_arxiv_id(paper.id):
        raise FullTextError(f"{kind}: not an arXiv id")
    url = f"{endpoint.rstrip('/')}/{kind}/{paper.id}"
    try:
        body = await fetcher.get(url)
    except HTTPError as exc:
        raise FullTextError(f"{kind}: {_http_reason(exc)}") from exc
    try:
        if kind == "html":
            ft = await asyncio.to_thread(_parse_html, body, paper.id, url)
        else:
            ft = await _parse_pdf_off_loop(body, paper.id, url, pdf_workers)
    except FullTextError as exc:
        raise FullTextError(f"{kind}: {_one_line(str(exc)) or 'unreadable'}") from exc
    except Exception as exc:  # a parser bug on odd input: say so loudly, then try the next source
        log.warning("%s parser failed on %s", kind, paper.id, exc_info=True)
        raise FullTextError(f"{kind}: parser error ({type(exc).__name__})") from exc
    if not _has_text(ft):
        raise FullTextError(f"{kind}: no text found")
    update: dict[str, object] = {"source": kind, "url": url}
    if not ft.title:
        update["title"] = paper.title or None
    if not (ft.abstract or "").strip() and paper.abstract:
        update["abstract"] = paper.abstract
    return ft.model_copy(update=update)


def _from_abstract(paper: Paper) -> FullText:
    if not (paper.abstract or "").strip():
        raise FullTextError("abstract: missing")
    return FullText(
        paper_id=paper.id,
        source="abstract",
        url=paper.hf_url if is_arxiv_id(paper.id) else None,
        title=paper.title or None,
        abstract=paper.abstract,
    )


async def read_fulltext(
    paper: Paper,
    fetcher: Fetcher,
    arxiv_endpoint: str,
    *,
    source: str = "auto",
    pdf_workers: int = 0,
) -> FullText:
    """The best text of ``paper``: HTML, else PDF, else abstract (``source="auto"``).

    ``FullText.skipped`` lists why each earlier source was not used. With a single ``source``
    only that one is tried. ``pdf_workers``: processes that parse PDFs (0: one per CPU, up to
    4; 1: a thread of this process). Raises :class:`FullTextError` when nothing could be read (for
    ``auto``: not even an abstract) and :class:`UsageError` for an unknown ``source``.
    """
    if source not in SOURCES:
        raise UsageError(f"unknown text source {source!r}: use one of {', '.join(SOURCES)}")
    kinds = ["html", "pdf", "abstract"] if source == "auto" else [source]
    skipped: list[str] = []
    for kind in kinds:
        try:
            if kind == "abstract":
                ft = _from_abstract(paper)
            else:
                ft = await _download(kind, paper, fetcher, arxiv_endpoint, pdf_workers)
        except FullTextError as exc:
            skipped.append(str(exc))
            continue
        return ft.model_copy(update={"skipped": skipped})
    raise FullTextError(f"no readable text for {paper.id[:40]!r}: {'; '.join(skipped)}")
