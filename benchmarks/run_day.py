"""Time a whole day's run against the loopback fake server, with a chosen LLM latency.

    python benchmarks/run_day.py --papers 20 --llm-latency 3

Runs the real pipeline four times, each in a fresh process with a fresh store: the first paper
alone and the slowest paper alone (the one given the longest PDF: the time of a single paper's
whole path), all papers with ``--concurrency 1``, and all papers with the default settings.
Each paper of the 2026-01-08 list gets a real corpus document (arXiv HTML or PDF, in turn), so
extraction and selection are measured too. There is no request spacing toward
the loopback server: this measures our overhead, not arXiv's manners. Prints wall time, LLM calls,
prompt tokens and peak memory (max RSS of the main process, and of the largest PDF worker
process) for each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

DAY = "2026-01-08"


def corpus_dir() -> Path:
    explicit = os.environ.get("DAILYPAPERS_CORPUS")
    path = Path(explicit) if explicit else ROOT.parent / "shared" / "corpus"
    if not (path / "hf_api").is_dir():
        sys.exit(f"corpus not found at {path} (set DAILYPAPERS_CORPUS)")
    return path


def documents(corpus: Path) -> list[Path]:
    return sorted((corpus / "arxiv_html").rglob("*.html")) + sorted((corpus / "pdf").glob("*.pdf"))


def slowest(papers: int) -> int:
    """Index of the paper that gets the largest document (the 39-page PDF)."""
    docs = documents(corpus_dir())
    sizes = [docs[n % len(docs)].stat().st_size for n in range(papers)]
    return sizes.index(max(sizes))


def one_run(
    papers: int, latency: float, concurrency: int | None, only: int | None = None
) -> dict[str, object]:
    """Run the pipeline once in this process; return its numbers."""
    from fakeserver import FakeServer

    from dailypapers.config import load_settings
    from dailypapers.pipeline import run_day

    corpus = corpus_dir()
    docs = documents(corpus)
    with FakeServer() as server, tempfile.TemporaryDirectory() as tmp:
        entries = json.loads((corpus / "hf_api" / f"daily_papers_{DAY}.json").read_bytes())
        chosen = [only] if only is not None else range(min(papers, len(entries)))
        server.add_day(DAY, json.dumps([entries[n] for n in chosen]))
        for n in chosen:
            entry, doc = entries[n], docs[n % len(docs)]
            target = server.html if doc.suffix == ".html" else server.pdf
            target[entry["paper"]["id"]] = doc.read_bytes()
        server.llm_latency = latency
        overrides: dict[str, object] = {
            "hf_endpoint": server.url,
            "arxiv_endpoint": server.url,
            "llm_provider": "custom",
            "llm_base_url": f"{server.url}/v1",
            "llm_api_key": "bench-key",
            "llm_model": "fake-model",
            "arxiv_delay": 0.0,
            "data_dir": Path(tmp) / "data",
            "out": Path(tmp) / "out",
            "cache": False,
        }
        if concurrency is not None:
            overrides["concurrency"] = concurrency
        settings = load_settings(**overrides)
        started = time.perf_counter()
        result = asyncio.run(run_day(date.fromisoformat(DAY), settings))
        wall = time.perf_counter() - started
    from dailypapers.fulltext import shutdown_workers

    shutdown_workers()  # so that the workers' peak memory is counted below
    stats = result.digest.stats
    return {
        "papers": stats.papers,
        "failed": stats.failed,
        "wall_s": round(wall, 2),
        "llm_calls": stats.llm_calls,
        "prompt_tokens": stats.prompt_tokens,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "sources": stats.sources,
    }


def child(
    papers: int, latency: float, concurrency: int | None, only: int | None = None
) -> dict[str, object]:
    args = [sys.executable, __file__, "--child", "--papers", str(papers)]
    args += ["--llm-latency", str(latency)]
    if only is not None:
        args += ["--only", str(only)]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--llm-latency", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.papers, args.llm_latency, args.concurrency, args.only)))
        return
    runs = {
        "first paper": child(1, args.llm_latency, None, 0),
        "slowest paper": child(1, args.llm_latency, None, slowest(args.papers)),
        "concurrency 1": child(args.papers, args.llm_latency, 1),
        "default": child(args.papers, args.llm_latency, args.concurrency),
    }
    print(
        f"{'run':<14} {'papers':>6} {'failed':>6} {'wall s':>7} {'LLM calls':>9} "
        f"{'prompt tok':>10} {'peak MB':>8} {'worker MB':>9}  sources"
    )
    for name, r in runs.items():
        print(
            f"{name:<14} {r['papers']:>6} {r['failed']:>6} {r['wall_s']:>7} "
            f"{r['llm_calls']:>9} {r['prompt_tokens']:>10} {r['peak_rss_mb']:>8} "
            f"{r['worker_rss_mb']:>9}  {r['sources']}"
        )
    default = float(runs["default"]["wall_s"])  # type: ignore[arg-type]
    for name in ("first paper", "slowest paper"):
        alone = float(runs[name]["wall_s"])  # type: ignore[arg-type]
        print(f"default run / {name} alone = {default / alone:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
