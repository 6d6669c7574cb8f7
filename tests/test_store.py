"""The store keeps what it is given: the same tests run on SQLite and on a real PostgreSQL.

The PostgreSQL tier needs $DAILYPAPERS_TEST_POSTGRES_URL (CI starts a server on loopback); each
test gets a fresh schema there. The kill -9 and two-process tests are SQLite-only.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import dailypapers
from dailypapers.errors import StoreError
from dailypapers.models import Finding, FullText, Paper, PaperResult, RunStats, Section, Summary
from dailypapers.store import SCHEMA_VERSION, Store, normalize_url

PG_ENV = "DAILYPAPERS_TEST_POSTGRES_URL"
DAY = date(2026, 1, 8)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'dir' / 'dailypapers.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need ${PG_ENV} (e.g. postgresql://u:p@127.0.0.1/db)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalize_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as opened:
        yield opened


def raw_scalars(url: str, sql: str) -> list[object]:
    """Read the database behind the store's back."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).scalars())
    finally:
        engine.dispose()


def paper(pid: str, upvotes: int = 1, **extra: object) -> Paper:
    return Paper(id=pid, title=f"Paper {pid}", upvotes=upvotes, **extra)  # type: ignore[arg-type]


def summary(pid: str = "2601.00001", **changes: object) -> Summary:
    values: dict[str, object] = {
        "paper_id": pid,
        "template": "digest-vi",
        "language": "vi",
        "model": "gemini-2.5-flash",
        "text_hash": "abc123",
        "fields": {"problem": "Bài toán", "ideas": ["một", "hai"], "score": 0.91},
        "llm_calls": 2,
        "prompt_tokens": 12000,
        "completion_tokens": 800,
        "cost_usd": 0.0042,
        "findings": [
            Finding(field="results", claim="91.2%", kind="number", found=True),
            Finding(field="results", claim="ImageNet", kind="name", found=False),
        ],
    }
    values.update(changes)
    return Summary(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- papers and lists


def test_paper_round_trip(store: Store) -> None:
    full = Paper(
        id="2601.02151",
        title="Mô hình — 模型 $x^2$",
        authors=["Ada Lovelace", "Alan Turing"],
        hidden_authors=["Anon"],
        abstract="We show 91.2% on ImageNet.",
        published_at=datetime(2026, 1, 5, 17, 3, tzinfo=UTC),
        submitted_at=datetime(2026, 1, 6, 8, 0, tzinfo=UTC),
        daily_date=DAY,
        upvotes=42,
        num_comments=3,
        ai_summary="A summary.",
        ai_keywords=["diffusion", "vision"],
        github_repo="https://github.com/x/y",
        github_stars=7,
        project_page="https://x.github.io",
        thumbnail="https://cdn/x.png",
        organization="ACME",
    )
    store.save_papers(DAY, [full, paper("2601.00002")])
    got = store.papers_of(DAY)
    assert got == [full, paper("2601.00002")]
    assert store.papers_of(date(2026, 1, 9)) == []


def test_longer_list_keeps_order_and_adds_new(store: Store) -> None:
    store.save_papers(DAY, [paper("a"), paper("b"), paper("c")])
    # A later fetch: reordered, with new papers, updated upvotes, a duplicate and one missing.
    store.save_papers(DAY, [paper("d"), paper("b", upvotes=99), paper("a"), paper("e"), paper("d")])
    got = store.papers_of(DAY)
    assert [p.id for p in got] == ["a", "b", "c", "d", "e"]
    assert got[1].upvotes == 99
    assert store.dates() == [(DAY, 5)]


def test_dates_newest_first_with_counts(store: Store) -> None:
    store.save_papers(date(2026, 1, 2), [paper("x"), paper("y")])
    store.save_papers(date(2026, 1, 8), [paper("y"), paper("z"), paper("w")])
    store.save_papers(date(2026, 1, 5), [])
    assert store.dates() == [(date(2026, 1, 8), 3), (date(2026, 1, 2), 2)]
    assert [p.id for p in store.papers_of(date(2026, 1, 2))] == ["x", "y"]


# ---------------------------------------------------------------------- full texts


def test_fulltext_round_trip_and_source_choice(store: Store) -> None:
    pdf = FullText(
        paper_id="2601.00001",
        source="pdf",
        url="https://arxiv.org/pdf/2601.00001",
        title="T",
        abstract="Abs with NUL\x00 from a PDF",
        sections=[Section(title="Method", level=1, text="We use $\\alpha = 0.5$.\n\n| a | b |")],
        references=["[1] Someone. 2024."],
        skipped=["html: HTTP 404"],
    )
    store.save_fulltext(pdf)
    assert store.fulltext("2601.00001") == pdf
    assert store.fulltext("2601.00001", "pdf") == pdf
    assert store.fulltext("2601.00001", "html") is None
    assert store.fulltext("2601.99999") is None

    html = FullText(paper_id="2601.00001", source="html", abstract="from html")
    store.save_fulltext(html)
    assert store.fulltext("2601.00001") == html  # the latest read wins when no source is given
    assert store.fulltext("2601.00001", "pdf") == pdf

    newer_pdf = pdf.model_copy(update={"abstract": "re-read"})
    store.save_fulltext(newer_pdf)
    assert store.fulltext("2601.00001", "pdf") == newer_pdf
    assert store.fulltext("2601.00001") == newer_pdf


# ---------------------------------------------------------------------- summaries


def test_summary_round_trip(store: Store) -> None:
    saved = summary()
    store.save_summary(saved)
    found = store.find_summary("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", "abc123")
    assert found == saved
    assert found is not None and [f.claim for f in found.unsupported] == ["ImageNet"]


def test_summary_reused_only_on_the_exact_key(store: Store) -> None:
    store.save_summary(summary())
    key = ("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", "abc123")
    assert store.find_summary(*key) is not None
    assert store.find_summary("2601.00001", "digest-vi", "vi", "gpt-4o", "abc123") is None
    assert store.find_summary("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", "zzz") is None
    assert store.find_summary("2601.00001", "digest-vi", "en", "gemini-2.5-flash", "abc123") is None
    assert store.find_summary("2601.00001", "report-zh", "vi", "gemini-2.5-flash", "abc123") is None
    assert store.find_summary("2601.00002", "digest-vi", "vi", "gemini-2.5-flash", "abc123") is None


def test_summary_without_model_or_hash_is_a_key_too(store: Store) -> None:
    no_llm = summary(model=None, text_hash=None, llm_calls=0, cost_usd=None, findings=[])
    store.save_summary(no_llm)
    store.save_summary(no_llm.model_copy(update={"fields": {"problem": "v2"}}))
    found = store.find_summary("2601.00001", "digest-vi", "vi", None, None)
    assert found is not None and found.fields == {"problem": "v2"} and found.model is None
    assert store.find_summary("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", None) is None


def test_save_summary_replaces_same_key(store: Store) -> None:
    store.save_summary(summary())
    store.save_summary(summary(fields={"problem": "newer"}, llm_calls=1))
    found = store.find_summary("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", "abc123")
    assert found is not None and found.fields == {"problem": "newer"} and found.llm_calls == 1


def test_failed_summary_is_recorded_but_not_reused(store: Store, store_url: str) -> None:
    key = ("2601.00001", "digest-vi", "vi", "gemini-2.5-flash", "abc123")
    failed = summary(fields={}, error="invalid JSON after 2 re-asks\x00", findings=[])
    store.save_summary(failed)
    assert store.find_summary(*key) is None
    assert raw_scalars(store_url, "SELECT error FROM summaries") == [
        "invalid JSON after 2 re-asks\ufffd"
    ]

    store.save_summary(summary())  # a later success replaces the failure
    assert store.find_summary(*key) == summary()
    store.save_summary(failed)  # a later failure does not destroy paid-for work
    assert store.find_summary(*key) == summary()
    assert raw_scalars(store_url, "SELECT COUNT(*) FROM summaries") == [1]


# ---------------------------------------------------------------------- runs


def test_run_life_cycle(store: Store) -> None:
    run_id = store.start_run(DAY, "digest-vi", "vi", "gemini-2.5-flash", {"concurrency": 8})
    other = store.start_run(date(2026, 1, 2), "report-zh", "zh", None, {})
    [running] = store.runs(DAY)
    assert (running.id, running.status, running.finished, running.stats) == (
        run_id,
        "running",
        None,
        None,
    )
    assert running.settings == {"concurrency": 8} and running.started.tzinfo is not None

    ok = PaperResult(paper=paper("a"), source="html", outcome="summarized")
    bad = PaperResult(paper=paper("b"), source="abstract", outcome="failed", error="HTTP 500")
    store.save_outcome(run_id, ok)
    store.save_outcome(run_id, bad)
    store.save_outcome(run_id, bad.model_copy(update={"outcome": "reused", "error": None}))
    outcomes = store.outcomes(run_id)
    assert [(o.paper_id, o.outcome, o.source, o.error) for o in outcomes] == [
        ("a", "summarized", "html", None),
        ("b", "reused", "abstract", None),
    ]
    assert store.outcomes(other) == []

    stats = RunStats(papers=2, summarized=1, reused=1, sources={"html": 1}, llm_calls=3)
    store.finish_run(run_id, stats, "done")
    store.finish_run(other, RunStats(), "interrupted")
    done = store.runs(DAY)[0]
    assert (done.status, done.stats) == ("done", stats)
    assert done.finished is not None and done.finished >= done.started
    assert [r.id for r in store.runs()] == [other, run_id]
    assert store.runs()[0].status == "interrupted"
    with pytest.raises(ValueError):
        store.finish_run(run_id, stats, "exploded")  # type: ignore[arg-type]


def test_digests_rebuilt_from_latest_finished_runs(store: Store) -> None:
    store.save_papers(DAY, [paper("a"), paper("b")])
    first = store.start_run(DAY, "digest-vi", "vi", "m", {})
    store.save_outcome(first, PaperResult(paper=paper("a"), outcome="failed", error="HTTP 500"))
    store.finish_run(first, RunStats(papers=1, failed=1), "done")

    items = [
        PaperResult(
            paper=paper("a"),
            source="html",
            source_url="https://arxiv.org/html/a",
            skipped=[],
            text_chars=1234,
            summary=summary("a"),
            outcome="summarized",
        ),
        PaperResult(
            paper=paper("b"),
            source="abstract",
            skipped=["html: HTTP 404", "pdf: corrupt PDF"],
            summary=summary("b", error="timeout", fields={}, findings=[]),
            outcome="failed",
            error="timeout",
        ),
    ]
    second = store.start_run(DAY, "digest-vi", "vi", "m", {})
    for item in items:
        store.save_outcome(second, item)
    stats = RunStats(papers=2, summarized=1, failed=1, failures={"b": "timeout"})
    store.finish_run(second, stats, "done")
    other = store.start_run(DAY, "report-zh", "zh", None, {})
    store.finish_run(other, RunStats(), "done")
    older = store.start_run(date(2026, 1, 2), "digest-vi", "vi", "m", {})
    store.finish_run(older, RunStats(), "done")
    store.start_run(date(2026, 1, 9), "digest-vi", "vi", "m", {})  # still running: no digest

    digests = store.digests()
    assert [(d.date, d.template, d.meta["run_id"]) for d in digests] == [
        (DAY, "report-zh", other),
        (DAY, "digest-vi", second),
        (date(2026, 1, 2), "digest-vi", older),
    ]
    latest = digests[1]
    assert latest.items == items and latest.stats == stats
    assert (latest.language, latest.model) == ("vi", "m")
    assert latest.generated_at == store.runs(DAY)[1].finished
    assert digests[0].items == [] and digests[0].model is None


def test_summarized_ids_counts_only_successes(store: Store) -> None:
    store.save_papers(DAY, [paper("a"), paper("b")])
    store.save_summary(summary("a"))
    store.save_summary(summary("b", error="invalid JSON", fields={}, findings=[]))
    store.save_summary(summary("elsewhere"))
    store.save_summary(summary("a", model="other-model"))
    assert store.summarized_ids() == {"a", "elsewhere"}
    assert store.summarized_ids(DAY) == {"a"}
    assert store.summarized_ids(date(2026, 1, 9)) == set()


def test_secrets_never_stored_with_run_settings(store: Store, store_url: str) -> None:
    secret = "sk-TOPSECRET-123"
    settings = {
        "llm_api_key": SecretStr(secret),
        "OPENAI_API_KEY": secret,
        "llm_model": "gemini-2.5-flash",
        "database_url": f"postgresql://user:{secret}@db.example/dp",
        "publish": {"smtp_password": secret, "s3_secret": secret, "bucket": "b"},
        "hf_token": secret,
        "out": Path("digests"),
        "formats": ["md", "json"],
    }
    run_id = store.start_run(DAY, "digest-vi", "vi", "gemini-2.5-flash", settings)
    stored = store.runs()[0].settings
    assert store.runs()[0].id == run_id
    assert stored["llm_model"] == "gemini-2.5-flash"
    assert stored["publish"] == {"bucket": "b"}
    assert stored["out"] == "digests" and stored["formats"] == ["md", "json"]
    assert stored["database_url"] == "postgresql://user:***@db.example/dp"
    assert not {"llm_api_key", "OPENAI_API_KEY", "hf_token"} & set(stored)
    raw = raw_scalars(store_url, "SELECT CAST(settings AS TEXT) FROM runs")
    assert len(raw) == 1 and secret not in str(raw[0])


# ---------------------------------------------------------------------- opening and errors


def test_reopen_keeps_everything_and_checks_version(store_url: str) -> None:
    with Store(store_url) as first:
        first.save_papers(DAY, [paper("a")])
        first.save_summary(summary("a"))
    with Store(store_url) as second:
        assert [p.id for p in second.papers_of(DAY)] == ["a"]
        assert second.find_summary("a", "digest-vi", "vi", "gemini-2.5-flash", "abc123")
    assert raw_scalars(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        str(SCHEMA_VERSION)
    ]
    engine = create_engine(normalize_url(store_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 999 is newer"):
        Store(store_url)


def test_wrong_password_not_in_error(store_url: str) -> None:
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite":
        url = make_url("postgresql://dailypapers:pw@127.0.0.1:1/nowhere")  # nothing listens on 1
    bad = url.set(password="Wr0ngPassw0rd!").render_as_string(hide_password=False)
    with pytest.raises(StoreError) as info:
        Store(bad)
    message = str(info.value)
    assert "Wr0ngPassw0rd!" not in message and "***" in message
    assert "\n" not in message and message.startswith("database postgresql+psycopg://")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_normalize_url() -> None:
    assert normalize_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unusable_sqlite_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open"):
        Store(f"sqlite:///{blocker / 'db.sqlite'}")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"garbage\.db: cannot open: file is not a database"):
        Store(f"sqlite:///{garbage}")


def test_unknown_dialect_hides_password() -> None:
    with pytest.raises(StoreError) as info:
        Store("mysqlx://root:Hunter2Secret@127.0.0.1/db")
    assert "Hunter2Secret" not in str(info.value)


# ---------------------------------------------------------------------- SQLite: processes


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'dailypapers.db'}"


def child_env() -> dict[str, str]:
    src = str(Path(dailypapers.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


WRITER = textwrap.dedent(
    """
    import sys
    from dailypapers.models import Summary
    from dailypapers.store import Store

    store = Store(sys.argv[1])
    prefix, count = sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    i = 0
    while count < 0 or i < count:
        pid = f"{prefix}{i}"
        store.save_summary(Summary(
            paper_id=pid, template="digest-en", language="en", model="m", text_hash="h",
            fields={"problem": "x" * 4000, "i": i}, llm_calls=1, prompt_tokens=100,
        ))
        print(pid, flush=True)  # after the commit: this one must survive
        i += 1
    store.close()
    """
)


def test_sqlite_file_is_wal_and_parent_dir_created(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with Store(url) as opened:
        opened.save_papers(DAY, [paper("a")])
    db = tmp_path / "data" / "dailypapers.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_kill_9_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    saved: list[str] = []
    for round_no, kill_after in enumerate((5, 37, 81)):
        cmd = [sys.executable, str(script), url, f"r{round_no}-", "-1"]
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=child_env()) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            for _ in range(kill_after):
                saved.append(proc.stdout.readline().strip())
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            saved.extend(line.strip() for line in proc.stdout if line.strip())
        assert proc.returncode == -signal.SIGKILL
    assert len(saved) >= 5 + 37 + 81

    with Store(url) as reopened:
        missing = [
            p for p in saved if reopened.find_summary(p, "digest-en", "en", "m", "h") is None
        ]
        assert missing == []
        reopened.save_summary(summary("after-crash"))  # and it is still writable
    conn = sqlite3.connect(tmp_path / "data" / "dailypapers.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
    finally:
        conn.close()
    assert stored >= len(saved) + 1


def test_second_process_writes_at_the_same_time(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    with Store(url) as mine:
        cmd = [sys.executable, str(script), url, "child-", "150"]
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
        ) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            for i in range(150):
                mine.save_summary(summary(f"parent-{i}"))
                mine.save_papers(DAY, [paper(f"p{i}")])
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(out.split()) == 150
        child = [mine.find_summary(f"child-{i}", "digest-en", "en", "m", "h") for i in range(150)]
        assert all(child)
        assert len(mine.papers_of(DAY)) == 150
