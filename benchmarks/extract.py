"""Extract every corpus HTML page and PDF and print time, pages and what was kept.

    python benchmarks/extract.py [--repeat 3] [--json]

For each arXiv HTML page (``html_to_fulltext``) and each PDF (``pdf_to_fulltext``) of the corpus
($DAILYPAPERS_CORPUS, else ``../shared/corpus`` beside the checkout) it prints: pages (PDF),
milliseconds in total and per page (the best of ``--repeat`` runs, in this process), characters
kept (``FullText.chars``: abstract and sections as Markdown, references left out), number of
sections and of references. A file that cannot be read prints its reason instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
try:
    import dailypapers  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT / "src"))

from dailypapers.errors import FullTextError  # noqa: E402
from dailypapers.models import FullText  # noqa: E402


def corpus_dir() -> Path:
    explicit = os.environ.get("DAILYPAPERS_CORPUS")
    path = Path(explicit) if explicit else ROOT.parent / "shared" / "corpus"
    if not path.is_dir():
        sys.exit(f"corpus not found at {path} (set DAILYPAPERS_CORPUS)")
    return path


def html_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "arxiv_html").rglob("*.html")) + sorted(
        (corpus / "synthetic").glob("*.html")
    )


def pdf_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "pdf").glob("*.pdf")) + sorted((corpus / "synthetic").glob("*.pdf"))


def pdf_pages(data: bytes) -> int | None:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        return len(document)
    finally:
        document.close()


def measure(
    read: Callable[..., FullText], data: bytes, paper_id: str, repeat: int
) -> tuple[FullText | None, float, str | None]:
    best = float("inf")
    fulltext: FullText | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            fulltext = read(data, paper_id=paper_id)
        except FullTextError as exc:
            return None, (time.perf_counter() - start) * 1000, str(exc)
        best = min(best, (time.perf_counter() - start) * 1000)
    return fulltext, best, None


def run(corpus: Path, repeat: int) -> list[dict[str, Any]]:
    readers: list[tuple[str, Callable[..., FullText] | None, list[Path]]] = []
    try:
        from dailypapers.fulltext.html import html_to_fulltext
    except ImportError as exc:
        print(f"(HTML skipped: {exc})", file=sys.stderr)
        readers.append(("html", None, html_files(corpus)))
    else:
        readers.append(("html", html_to_fulltext, html_files(corpus)))
    from dailypapers.fulltext.pdf import pdf_to_fulltext

    readers.append(("pdf", pdf_to_fulltext, pdf_files(corpus)))
    rows = []
    for kind, read, paths in readers:
        for path in paths:
            data = path.read_bytes()
            row: dict[str, Any] = {
                "kind": kind,
                "file": str(path.relative_to(corpus)),
                "bytes": len(data),
                "pages": pdf_pages(data) if kind == "pdf" else None,
            }
            if read is None:
                row["error"] = "reader not available"
                rows.append(row)
                continue
            fulltext, ms, error = measure(read, data, path.stem, repeat)
            row["ms"] = round(ms, 1)
            if row["pages"]:
                row["ms_per_page"] = round(ms / row["pages"], 1)
            if fulltext is not None:
                row.update(
                    chars=fulltext.chars,
                    sections=len(fulltext.sections),
                    references=len(fulltext.references),
                )
            else:
                row["error"] = error
            rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'file':<72} {'pages':>5} {'ms':>8} {'ms/page':>8} {'chars':>8} {'sect':>5} {'refs':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        name = f"{row['kind']}: {row['file']}"
        if len(name) > 72:
            name = name[:69] + "..."
        pages = row["pages"] if row["pages"] is not None else "-"
        per_page = row.get("ms_per_page", "-")
        if "error" in row:
            print(f"{name:<72} {pages:>5} {row.get('ms', '-'):>8} {'':>8}  error: {row['error']}")
            continue
        print(
            f"{name:<72} {pages:>5} {row['ms']:>8} {per_page:>8} {row['chars']:>8}"
            f" {row['sections']:>5} {row['references']:>5}"
        )
    for kind in ("html", "pdf"):
        done = [r for r in rows if r["kind"] == kind and "error" not in r]
        if not done:
            continue
        ms = sum(r["ms"] for r in done)
        chars = sum(r["chars"] for r in done)
        line = f"{kind}: {len(done)} files, {ms:.0f} ms, {chars} chars kept"
        pages = sum(r["pages"] or 0 for r in done)
        if pages:
            line += f", {pages} pages, {ms / pages:.1f} ms/page"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the best counts")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()
    rows = run(corpus_dir(), max(1, args.repeat))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
