"""Evaluate `dailypapers.verify` on real pairs: corpus PDFs and the real summaries of those papers.

The 2026-01-02 digest in the corpus (gemini-2.5-flash, English) summarizes seven papers; four of
them have their PDF in the corpus. For each of these four, this script takes the summary's fields
from the Markdown, reads the PDF text (with `dailypapers.fulltext.pdf` when it is there and works,
else plain pypdfium2 page text) and prints how many numbers and names the summary has, how many
were found in the text, and which were not.

    .venv/bin/python benchmarks/verify_eval.py [CORPUS_DIR] [--abstracts]

With ``--abstracts`` it also checks every summary of both corpus digests (2026-01-02, English;
2026-01-08, Vietnamese) against that paper's abstract from the recorded HF API list. The abstract
is a small part of what the summarizer read, so this is only a lower bound; what it does not
find is a list to read for matcher misses (a number the abstract states in another format).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dailypapers.models import Finding
from dailypapers.verify import index_text, verify_fields

__all__ = ["PaperEval", "evaluate", "evaluate_abstracts", "main", "parse_digest", "pdf_text"]

DIGEST = "reports/daily_digest_2026-01-02.md"
DIGESTS = {"2026-01-02": DIGEST, "2026-01-08": "reports/daily_digest_2026-01-08.md"}
PAPERS = ("2512.22630", "2512.23959", "2512.24007", "2512.24617")
LABELS = {
    "Main Problem": "main_problem",
    "Main Idea": "main_idea",
    "Main Results": "main_results",
    "Conclusion & Future Works": "conclusion",
    "Brainstorming Space": "brainstorming",
}
_LABEL_RE = re.compile(
    r"^[ \t]*(?:#{1,4}[ \t]*)?[-*]*[ \t]*(?:\*\*)?[-*]?[ \t]*("
    + "|".join(re.escape(label) for label in LABELS)
    + r")[ \t]*(?:\*\*)?[ \t]*:?[ \t]*(?:\*\*)?[ \t]*:?",
    re.MULTILINE,
)


@dataclass
class PaperEval:
    """What verify made of one summary against one paper text."""

    paper_id: str
    title: str
    text_chars: int
    reader: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind: str, *, found: bool | None = None) -> int:
        return sum(f.kind == kind and (found is None or f.found == found) for f in self.findings)

    @property
    def unfound(self) -> list[Finding]:
        return [f for f in self.findings if not f.found]


def parse_digest(markdown: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{paper id: (title, {field: text})} of a digest in the seed layouts (English, Vietnamese)."""
    papers: dict[str, tuple[str, dict[str, str]]] = {}
    for block in re.split(r"(?m)^## (?=\d+\. )", markdown)[1:]:
        title = block.split("\n", 1)[0].split(". ", 1)[1].strip()
        found = re.search(r"huggingface\.co/papers/([\w.]+)", block)
        if found is None:
            continue
        body = re.split(r"(?m)^### (?:Related Links|Các đường dẫn liên quan)", block)[0]
        marks = list(_LABEL_RE.finditer(body))
        fields = {}
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
            fields[LABELS[mark.group(1)]] = body[mark.end() : end].strip()
        papers[found.group(1)] = (title, fields)
    return papers


@lru_cache(maxsize=8)
def pdf_text(data: bytes, paper_id: str) -> tuple[str, str]:
    """(text, which reader) of a PDF: the project's reader when it works, else pypdfium2."""
    try:
        from dailypapers.fulltext.pdf import pdf_to_fulltext

        return pdf_to_fulltext(data, paper_id=paper_id).markdown, "fulltext.pdf"
    except Exception:  # the reader is missing or failed: fall back to plain page text
        import pypdfium2

        doc = pypdfium2.PdfDocument(data)
        try:
            pages = []
            for page in doc:
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range())
                textpage.close()
                page.close()
        finally:
            doc.close()
        return "\n".join(pages), "pypdfium2"


def evaluate(corpus: Path) -> list[PaperEval]:
    """Verify each of the four summaries against its PDF."""
    digest = parse_digest((corpus / DIGEST).read_text(encoding="utf-8"))
    results = []
    for paper_id in PAPERS:
        pdf = next((corpus / "pdf").glob(f"arxiv_{paper_id}*.pdf"))
        text, reader = pdf_text(pdf.read_bytes(), paper_id)
        title, fields = digest[paper_id]
        started = time.perf_counter()
        index_text.cache_clear()
        findings = verify_fields(fields, text)
        seconds = time.perf_counter() - started
        results.append(PaperEval(paper_id, title, len(text), reader, findings, seconds))
    return results


def evaluate_abstracts(corpus: Path) -> list[PaperEval]:
    """Verify every summary of both digests against its abstract (a lower bound)."""
    results = []
    for day, digest in DIGESTS.items():
        listing = json.loads((corpus / f"hf_api/daily_papers_{day}.json").read_text("utf-8"))
        abstracts = {
            entry["paper"]["id"]: f"{entry['paper']['title']}\n{entry['paper']['summary']}"
            for entry in listing
        }
        parsed = parse_digest((corpus / digest).read_text(encoding="utf-8"))
        for paper_id, (title, fields) in parsed.items():
            text = abstracts[paper_id]
            findings = verify_fields(fields, text, skip=["brainstorming"])
            results.append(PaperEval(paper_id, title, len(text), "abstract", findings))
    return results


def _print(results: list[PaperEval]) -> None:
    totals = {"number": [0, 0], "name": [0, 0]}
    for r in results:
        print(f"{r.paper_id}  {r.title[:70]}")
        print(
            f"  text: {r.text_chars:,} chars via {r.reader}; verified in {r.seconds * 1000:.1f} ms"
        )
        for kind in ("number", "name"):
            n, ok = r.count(kind), r.count(kind, found=True)
            totals[kind][0] += n
            totals[kind][1] += ok
            print(f"  {kind}s: {ok}/{n} found")
        for f in r.unfound:
            print(f"    NOT FOUND [{f.field}] {f.kind}: {f.claim}")
    for kind, (n, ok) in totals.items():
        share = f"{ok / n:.0%}" if n else "n/a"
        print(f"total {kind}s: {ok}/{n} found ({share})")


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    corpus = Path(args[0] if args else os.environ.get("DAILYPAPERS_CORPUS", default))
    print("== the four 2026-01-02 summaries against their PDF text")
    _print(evaluate(corpus))
    if "--abstracts" in argv:
        print("\n== every digest summary against its abstract only (a lower bound)")
        _print(evaluate_abstracts(corpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
