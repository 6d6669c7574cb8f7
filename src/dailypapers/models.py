"""The data that flows between stages: Paper, FullText, Summary, Digest and RunStats.

These are plain pydantic models with no behaviour beyond derived properties, so every stage can
import them without importing another stage, and the store and the JSON output can serialize them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "ARXIV_ID_RE",
    "Digest",
    "Finding",
    "FullText",
    "Outcome",
    "Paper",
    "PaperResult",
    "RunStats",
    "Section",
    "Summary",
    "TextSource",
    "is_arxiv_id",
]

#: New-style arXiv ids (``2601.02151``, optional version) and old-style ones (``cond-mat/0011267``).
ARXIV_ID_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)

TextSource = Literal["html", "pdf", "abstract"]
Outcome = Literal["summarized", "reused", "no-llm", "failed"]


def is_arxiv_id(value: str) -> bool:
    """True if ``value`` is a well-formed arXiv id, safe to put in a path or a URL."""
    return bool(ARXIV_ID_RE.match(value))


class Paper(BaseModel):
    """One entry of the Hugging Face daily list."""

    id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    hidden_authors: list[str] = Field(default_factory=list)
    abstract: str | None = None
    published_at: datetime | None = None
    submitted_at: datetime | None = None
    daily_date: date | None = None
    upvotes: int = 0
    num_comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = Field(default_factory=list)
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    organization: str | None = None

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.id}"

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}"


class Section(BaseModel):
    """One section of a paper's text; ``text`` is Markdown without the heading line."""

    title: str
    level: int = 1
    text: str = ""


class FullText(BaseModel):
    """The text of one paper as read from one source, and why earlier sources were skipped."""

    paper_id: str
    source: TextSource
    url: str | None = None
    title: str | None = None
    abstract: str | None = None
    sections: list[Section] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)

    @property
    def markdown(self) -> str:
        """The body as Markdown: abstract, then each section under its heading."""
        parts: list[str] = []
        if self.abstract:
            parts.append(f"## Abstract\n\n{self.abstract}")
        for section in self.sections:
            heading = "#" * min(section.level + 1, 6)
            parts.append(f"{heading} {section.title}\n\n{section.text}".rstrip())
        return "\n\n".join(parts) + "\n"

    @property
    def chars(self) -> int:
        return len(self.markdown)

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.markdown.encode("utf-8")).hexdigest()[:16]


class Finding(BaseModel):
    """One claim of a summary (a number or a name) and whether the read text supports it."""

    field: str
    claim: str
    kind: Literal["number", "name"]
    found: bool


class Summary(BaseModel):
    """A template filled for one paper (by an LLM, or from HF metadata when there is none)."""

    paper_id: str
    template: str
    language: str
    model: str | None = None
    text_hash: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    findings: list[Finding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def unsupported(self) -> list[Finding]:
        return [f for f in self.findings if not f.found]


class PaperResult(BaseModel):
    """What a run made of one paper: its metadata, which text was read, its summary or failure."""

    paper: Paper
    source: TextSource | None = None
    source_url: str | None = None
    skipped: list[str] = Field(default_factory=list)
    text_chars: int = 0
    summary: Summary | None = None
    outcome: Outcome = "failed"
    error: str | None = None


class RunStats(BaseModel):
    """Counts, tokens and timings of one run of one date."""

    papers: int = 0
    summarized: int = 0
    reused: int = 0
    failed: int = 0
    sources: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, str] = Field(default_factory=dict)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    wall_seconds: float = 0.0


class Digest(BaseModel):
    """The report of one date: every paper of the list, in the API's order, and the run's stats."""

    date: date
    template: str
    language: str
    model: str | None = None
    generated_at: datetime
    items: list[PaperResult] = Field(default_factory=list)
    stats: RunStats = Field(default_factory=RunStats)
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def llm_used(self) -> bool:
        return self.model is not None
