"""Render a Digest: Markdown through the template's Jinja2 layouts, and versioned JSON.

``render_markdown(digest, template)`` renders each paper with ``template.paper_md`` and the whole
report with ``template.report_md``; a failed paper gets the template's localized stub and its
reason, unsupported claims found by verify are marked next to their field. ``render_json`` writes
the schema ``dailypapers.digest/1`` documented in ``docs/json-schema.md``. ``report_paths`` names
the files of one date. The variables a layout sees are documented in ``docs/templates.md``.

Layouts run in Jinja2's sandbox with undefined names as errors; a layout that fails raises
TemplateError (one line). HTML pages of the site are ``publish/site.py``'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateError
from .models import Digest, Finding, PaperResult
from .templates import Template

__all__ = ["JSON_SCHEMA", "paper_context", "render_json", "render_markdown", "report_paths"]

#: The identifier of the JSON output's schema; bump the number on an incompatible change.
JSON_SCHEMA = "dailypapers.digest/1"

_MAX_REASON = 300
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){3,}")


class Fields(dict[str, Any]):
    """A summary's fields for a layout: a missing field reads as None instead of failing."""

    def __missing__(self, key: str) -> None:
        return None


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Fields({k: _wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _oneline(value: Any) -> str:
    """Collapse whitespace (titles wrapped by the old API, list items with line breaks)."""
    return " ".join(str(value if value is not None else "").split())


def _cell(value: Any) -> str:
    """Make a value safe inside a Markdown table cell."""
    return _oneline(value).replace("|", "\\|")


def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["oneline"] = _oneline
    env.filters["cell"] = _cell
    return env


_ENV = _env()


def _compile(template: Template, key: str) -> jinja2.Template:
    source = getattr(template, key)
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {template.name}: {key}: Jinja2 syntax error on line {exc.lineno}: "
            f"{exc.message}"
        ) from None


def _render(template: Template, key: str, compiled: jinja2.Template, ctx: dict[str, Any]) -> str:
    try:
        return compiled.render(ctx)
    except jinja2.TemplateError as exc:
        problem = _oneline(getattr(exc, "message", None) or exc)
        raise TemplateError(f"template {template.name}: {key}: {problem}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        problem = _oneline(f"{type(exc).__name__}: {exc}")
        raise TemplateError(f"template {template.name}: {key}: {problem}") from None


def _source_label(item: PaperResult, labels: Mapping[str, str]) -> str:
    if item.source is None:
        return labels.get("source_none", "N/A")
    return labels.get(f"source_{item.source}", item.source)


def _warner(
    findings: list[Finding], labels: Mapping[str, str]
) -> tuple[Callable[..., str], set[int]]:
    """``warn(name, ...)`` for layouts: ``"\\n\\n> ⚠ label: claim, claim"`` or ``""``.

    It lists the unsupported claims of the named fields (and their sub-fields, ``name.sub`` or
    ``name[i]``), each finding once; placed right after the field's text.
    """
    shown: set[int] = set()

    def warn(*names: str) -> str:
        claims: list[str] = []
        for i, finding in enumerate(findings):
            if i in shown:
                continue
            if any(
                finding.field == n or finding.field.startswith((f"{n}.", f"{n}[")) for n in names
            ):
                shown.add(i)
                if finding.claim not in claims:
                    claims.append(finding.claim)
        if not claims:
            return ""
        listed = ", ".join(_oneline(c) for c in claims)
        return f"\n\n> ⚠ {labels.get('unsupported', 'not found in the text')}: {listed}"

    return warn, shown


def paper_context(
    item: PaperResult, n: int, template: Template, digest: Digest
) -> tuple[dict[str, Any], Callable[[], str]]:
    """The variables ``paper_md`` sees for one paper, and a function returning warnings not shown.

    Documented in docs/templates.md: n, paper, item, digest, ok, llm, f, reason, title, authors,
    published, links, source, labels, warn.
    """
    labels = template.labels
    summary = item.summary
    ok = summary is not None and summary.error is None
    reason = None if ok else (summary.error if summary is not None else None) or item.error
    if reason:
        reason = _oneline(reason)[:_MAX_REASON]
    findings = [f for f in summary.findings if not f.found] if summary and ok else []
    warn, shown = _warner(findings, labels)
    paper = item.paper
    published = paper.published_at or paper.submitted_at
    ctx: dict[str, Any] = {
        "n": n,
        "paper": paper,
        "item": item,
        "digest": digest,
        "ok": ok,
        "llm": bool(summary is not None and summary.model),
        "f": _wrap(summary.fields if summary is not None and ok else {}),
        "reason": reason or None,
        "title": _oneline(paper.title),
        "authors": ", ".join(_oneline(a) for a in paper.authors) or labels.get("na", "N/A"),
        "published": published.date().isoformat() if published else labels.get("na", "N/A"),
        "links": {
            "hf": paper.hf_url,
            "arxiv": paper.arxiv_url,
            "pdf": f"{paper.pdf_url}.pdf",
            "github": paper.github_repo or None,
            "project": paper.project_page or None,
        },
        "source": _source_label(item, labels),
        "labels": labels,
        "warn": warn,
    }

    def leftover() -> str:
        rest = [f.claim for i, f in enumerate(findings) if i not in shown]
        if not rest:
            return ""
        label = labels.get("unsupported", "not found in the text")
        return f"> ⚠ {label}: {', '.join(_oneline(c) for c in dict.fromkeys(rest))}\n\n"

    return ctx, leftover


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def render_markdown(digest: Digest, template: Template) -> str:
    """The report of ``digest`` in ``template``'s Markdown layout."""
    paper_layout = _compile(template, "paper_md")
    report_layout = _compile(template, "report_md")
    papers: list[str] = []
    for n, item in enumerate(digest.items, start=1):
        ctx, leftover = paper_context(item, n, template, digest)
        text = _render(template, "paper_md", paper_layout, ctx)
        extra = leftover()
        if extra:
            text = text.rstrip("\n") + "\n\n" + extra
        papers.append(text)
    day = digest.date.isoformat()
    ctx = {
        "digest": digest,
        "date": day,
        "generated_at": _stamp(digest.generated_at),
        "model": digest.model,
        "llm": digest.llm_used,
        "labels": template.labels,
        "papers": papers,
        "stats": digest.stats,
        "template": template,
        "source_url": str(
            digest.meta.get("source_url") or f"https://huggingface.co/papers/date/{day}"
        ),
    }
    text = _render(template, "report_md", report_layout, ctx)
    # Layouts skip absent sections; never leave more than two blank lines in a row.
    return _BLANK_RUN.sub("\n\n\n", text).rstrip() + "\n"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _paper_json(n: int, item: PaperResult) -> dict[str, Any]:
    paper = item.paper
    summary = item.summary
    findings = summary.findings if summary is not None else []
    unsupported = [f for f in findings if not f.found]
    return {
        "index": n,
        "id": paper.id,
        "title": _oneline(paper.title),
        "paper": paper.model_dump(mode="json"),
        "links": {
            "huggingface": paper.hf_url,
            "arxiv": paper.arxiv_url,
            "pdf": f"{paper.pdf_url}.pdf",
            "github": paper.github_repo,
            "project": paper.project_page,
        },
        "fulltext": {
            "source": item.source,
            "url": item.source_url,
            "chars": item.text_chars,
            "skipped": list(item.skipped),
        },
        "outcome": item.outcome,
        "error": item.error or (summary.error if summary is not None else None),
        "summary": None
        if summary is None
        else {
            "ok": summary.ok,
            "template": summary.template,
            "language": summary.language,
            "model": summary.model,
            "text_hash": summary.text_hash,
            "fields": summary.fields,
            "error": summary.error,
            "llm_calls": summary.llm_calls,
            "prompt_tokens": summary.prompt_tokens,
            "completion_tokens": summary.completion_tokens,
            "cost_usd": summary.cost_usd,
        },
        "verify": {
            "claims": len(findings),
            "unsupported": len(unsupported),
            "findings": [f.model_dump(mode="json") for f in findings],
        },
    }


def render_json(digest: Digest) -> str:
    """The digest as JSON in the ``dailypapers.digest/1`` schema (docs/json-schema.md)."""
    papers = [_paper_json(n, item) for n, item in enumerate(digest.items, start=1)]
    doc = {
        "schema": JSON_SCHEMA,
        "date": digest.date.isoformat(),
        "template": digest.template,
        "language": digest.language,
        "model": digest.model,
        "llm_used": digest.llm_used,
        "generated_at": _iso(digest.generated_at),
        "stats": digest.stats.model_dump(mode="json"),
        "verify": {
            "claims": sum(p["verify"]["claims"] for p in papers),
            "unsupported": sum(p["verify"]["unsupported"] for p in papers),
            "papers_with_unsupported": sum(1 for p in papers if p["verify"]["unsupported"]),
        },
        "meta": digest.meta,
        "papers": papers,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def report_paths(out: Path, day: date, variant: str = "") -> dict[str, Path]:
    """Where the reports of ``day`` go: ``{out}/YYYY/MM/daily_digest_YYYY-MM-DD.{md,json,html}``.

    ``variant`` (e.g. ``report-zh``) is added before the suffix so that reports of several
    templates or languages of one date can share a folder without overwriting each other.
    """
    folder = Path(out) / f"{day:%Y}" / f"{day:%m}"
    stem = f"daily_digest_{day.isoformat()}" + (f".{variant}" if variant else "")
    return {ext: folder / f"{stem}.{ext}" for ext in ("md", "json", "html")}
