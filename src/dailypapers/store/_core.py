"""The Store class: every read and write of papers, full texts, summaries, runs and outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError
from ..models import Digest, FullText, Paper, PaperResult, RunStats, Summary
from ._parts import clean_text, hide_passwords, make_engine, normalize_url, one_line, scrub
from ._records import (
    RUN_STATUSES,
    OutcomeRecord,
    RunRecord,
    RunStatus,
    now,
    run_from_row,
    summary_from_row,
    summary_values,
)
from ._tables import (
    SCHEMA_VERSION,
    daily_lists,
    fulltexts,
    meta,
    metadata,
    outcomes,
    papers,
    runs,
    summaries,
)

__all__ = ["OutcomeRecord", "RunRecord", "RunStatus", "Store"]


def narrowed(run: RunRecord) -> bool:
    """True if the run covered only part of its list (``--limit``, keywords, a vote floor)."""
    settings = run.settings
    return bool(
        settings.get("limit")
        or settings.get("keywords")
        or settings.get("exclude_keywords")
        or settings.get("min_upvotes")
    )


class Store:
    """The database of one dailypapers installation. Call :meth:`close` when done."""

    def __init__(self, url: str) -> None:
        raw = normalize_url(url)
        self._safe_url = hide_passwords(raw)
        self._password: str | None = None
        with self._errors("open"):
            parsed = make_url(raw)
            self._password = parsed.password if isinstance(parsed.password, str) else None
            self._safe_url = parsed.render_as_string(hide_password=True)
            if parsed.get_backend_name() not in ("sqlite", "postgresql"):
                raise StoreError(f"database {self._safe_url}: only SQLite and PostgreSQL work")
            try:
                self._engine = make_engine(parsed)
            except ImportError:
                raise StoreError(
                    f"database {self._safe_url}: driver missing "
                    "(PostgreSQL needs: pip install 'dailypapers[postgres]')"
                ) from None
            try:
                self._create()
            except BaseException:
                self._engine.dispose()
                raise

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except (SQLAlchemyError, OSError) as exc:
            message = one_line(exc, self._password)
            raise StoreError(f"database {self._safe_url}: cannot {action}: {message}") from None

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        """One committed transaction (BEGIN IMMEDIATE on SQLite)."""
        with self._errors(action), self._engine.connect() as conn:
            conn.execution_options(dp_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        with self._errors(action), self._engine.connect() as conn, conn.begin():
            yield conn

    def _insert(self, table: Table) -> Any:
        """An INSERT that knows ON CONFLICT for this database."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def _create(self) -> None:
        with self._write("open") as conn:
            metadata.create_all(conn)
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
            if row is None:
                conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row.value) > SCHEMA_VERSION:
                raise StoreError(
                    f"database {self._safe_url}: schema version {row.value} is newer than this "
                    f"dailypapers understands ({SCHEMA_VERSION}); upgrade dailypapers"
                )

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ papers

    def save_papers(self, day: date, items: list[Paper]) -> None:
        """Store the papers' metadata and the list of ``day``.

        Papers already on the day's list keep their place; new ones are appended in the given
        (API) order, so a later, longer fetch adds its new papers and never drops stored ones.
        """
        first: dict[str, Paper] = {}
        for item in items:
            first.setdefault(item.id, item)  # a duplicate keeps its first place
        unique = list(first.values())
        seen = now()
        with self._write("save papers") as conn:
            for paper in unique:
                stmt = self._insert(papers).values(
                    id=paper.id,
                    data=paper.model_dump(mode="json"),
                    first_seen=seen,
                    last_seen=seen,
                )
                excluded = stmt.excluded
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[papers.c.id],
                        set_={"data": excluded.data, "last_seen": excluded.last_seen},
                    )
                )
            rows = conn.execute(
                select(daily_lists.c.paper_id, daily_lists.c.position).where(
                    daily_lists.c.day == day
                )
            ).all()
            listed = {r.paper_id for r in rows}
            position = max((r.position for r in rows), default=-1)
            for paper in unique:
                if paper.id not in listed:
                    position += 1
                    conn.execute(
                        insert(daily_lists).values(day=day, paper_id=paper.id, position=position)
                    )

    def papers_of(self, day: date) -> list[Paper]:
        """The list of ``day`` in stored order (latest metadata of each paper); [] if unknown."""
        with self._read("read papers") as conn:
            rows = conn.execute(
                select(papers.c.data)
                .join(daily_lists, daily_lists.c.paper_id == papers.c.id)
                .where(daily_lists.c.day == day)
                .order_by(daily_lists.c.position)
            ).all()
        return [Paper.model_validate(r.data) for r in rows]

    def paper(self, paper_id: str) -> Paper | None:
        """The latest stored metadata of one paper, or None."""
        with self._read("read a paper") as conn:
            row = conn.execute(select(papers.c.data).where(papers.c.id == paper_id)).first()
        return None if row is None else Paper.model_validate(row.data)

    def dates(self) -> list[tuple[date, int]]:
        """Every date with a stored list and its number of papers, newest first."""
        with self._read("read dates") as conn:
            rows = conn.execute(
                select(daily_lists.c.day, func.count())
                .group_by(daily_lists.c.day)
                .order_by(daily_lists.c.day.desc())
            ).all()
        return [(r[0], int(r[1])) for r in rows]

    # ------------------------------------------------------------------ full texts

    def save_fulltext(self, ft: FullText) -> None:
        """Store the text read from one source (replacing an earlier read of that source)."""
        with self._write("save full text") as conn:
            conn.execute(
                fulltexts.delete().where(
                    (fulltexts.c.paper_id == ft.paper_id) & (fulltexts.c.source == ft.source)
                )
            )
            conn.execute(
                insert(fulltexts).values(
                    paper_id=ft.paper_id,
                    source=ft.source,
                    url=ft.url,
                    text_hash=ft.text_hash,
                    data=ft.model_dump(mode="json"),
                    created=now(),
                )
            )

    def fulltext(self, paper_id: str, source: str | None = None) -> FullText | None:
        """The text of ``paper_id`` from ``source``, or the most recently stored one if None."""
        query = select(fulltexts.c.data).where(fulltexts.c.paper_id == paper_id)
        if source is not None:
            query = query.where(fulltexts.c.source == source)
        with self._read("read full text") as conn:
            row = conn.execute(query.order_by(fulltexts.c.id.desc()).limit(1)).first()
        return None if row is None else FullText.model_validate(row.data)

    # ------------------------------------------------------------------ summaries

    def find_summary(
        self, paper_id: str, template: str, language: str, model: str | None, text_hash: str | None
    ) -> Summary | None:
        """The successful summary with exactly this key, if one is stored (failures never are)."""
        c = summaries.c
        query = select(summaries).where(
            (c.paper_id == paper_id)
            & (c.template == template)
            & (c.language == language)
            & (c.model == (model or ""))
            & (c.text_hash == (text_hash or ""))
            & c.error.is_(None)
        )
        with self._read("read summary") as conn:
            row = conn.execute(query).first()
        return None if row is None else summary_from_row(row)

    def save_summary(self, summary: Summary) -> None:
        """Insert or replace the summary with this key; committed when this returns.

        A failed summary is recorded, but never replaces a successful one with the same key.
        """
        values = summary_values(summary)
        key = ["paper_id", "template", "language", "model", "text_hash"]
        stmt = self._insert(summaries).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[summaries.c[k] for k in key],
            set_={k: stmt.excluded[k] for k in values if k not in key},
            where=summaries.c.error.is_not(None) | stmt.excluded.error.is_(None),
        )
        with self._write("save summary") as conn:
            conn.execute(stmt)

    # ------------------------------------------------------------------ runs

    def start_run(
        self,
        day: date,
        template: str,
        language: str,
        model: str | None,
        settings: Mapping[str, Any],
    ) -> int:
        """Record a run as ``running`` and return its id. Secret-looking settings are dropped."""
        with self._write("start run") as conn:
            result = conn.execute(
                insert(runs)
                .values(
                    day=day,
                    template=template,
                    language=language,
                    model=model,
                    settings=scrub(dict(settings)),
                    started=now(),
                    status="running",
                )
                .returning(runs.c.id)
            )
            return int(result.scalar_one())

    def save_outcome(self, run_id: int, result: PaperResult) -> None:
        """Record (or replace) what run ``run_id`` made of one paper (the whole PaperResult)."""
        stmt = self._insert(outcomes).values(
            run_id=run_id,
            paper_id=result.paper.id,
            outcome=result.outcome,
            source=result.source,
            error=clean_text(result.error),
            result=result.model_dump(mode="json"),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[outcomes.c.run_id, outcomes.c.paper_id],
            set_={k: stmt.excluded[k] for k in ("outcome", "source", "error", "result")},
        )
        with self._write("save outcome") as conn:
            conn.execute(stmt)

    def finish_run(self, run_id: int, stats: RunStats, status: RunStatus) -> None:
        """Close run ``run_id`` with its stats and how it ended (done, failed, interrupted)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._write("finish run") as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(finished=now(), status=status, stats=stats.model_dump(mode="json"))
            )

    def runs(self, day: date | None = None) -> list[RunRecord]:
        """Stored runs (of ``day`` if given), newest first."""
        query = select(runs).order_by(runs.c.id.desc())
        if day is not None:
            query = query.where(runs.c.day == day)
        with self._read("read runs") as conn:
            rows = conn.execute(query).all()
        return [run_from_row(r) for r in rows]

    def outcomes(self, run_id: int) -> list[OutcomeRecord]:
        """The per-paper outcomes of run ``run_id``, in the order they were recorded."""
        query = select(outcomes).where(outcomes.c.run_id == run_id).order_by(outcomes.c.id)
        with self._read("read outcomes") as conn:
            rows = conn.execute(query).all()
        return [OutcomeRecord(r.run_id, r.paper_id, r.outcome, r.source, r.error) for r in rows]

    def digests(self, template: str | None = None, language: str | None = None) -> list[Digest]:
        """The digest of the latest finished run of each date + template + language, newest first.

        A run of the whole list wins over a later run narrowed by ``--limit`` or keywords (see
        :func:`narrowed`), so a quick look at a few papers never becomes the page of the day.
        ``template`` / ``language`` keep only those. Rebuilt from the runs and the PaperResults
        their outcomes recorded, in recorded order.
        """
        query = select(runs).where(runs.c.status == "done")
        if template is not None:
            query = query.where(runs.c.template == template)
        if language is not None:
            query = query.where(runs.c.language == language)
        with self._read("read digests") as conn:
            rows = conn.execute(query.order_by(runs.c.id.desc())).all()
            latest: dict[tuple[date, str, str], RunRecord] = {}
            for row in rows:
                record, key = run_from_row(row), (row.day, row.template, row.language)
                if key not in latest or (narrowed(latest[key]) and not narrowed(record)):
                    latest[key] = record
            found: list[Digest] = []
            for run in latest.values():
                results = conn.execute(
                    select(outcomes.c.result)
                    .where((outcomes.c.run_id == run.id) & outcomes.c.result.is_not(None))
                    .order_by(outcomes.c.id)
                ).scalars()
                found.append(
                    Digest(
                        date=run.day,
                        template=run.template,
                        language=run.language,
                        model=run.model,
                        generated_at=run.finished or run.started,
                        items=[PaperResult.model_validate(r) for r in results],
                        stats=run.stats or RunStats(),
                        meta={"run_id": run.id},
                    )
                )
        found.sort(key=lambda d: (d.date, d.meta["run_id"]), reverse=True)
        return found

    def summarized_ids(self, day: date | None = None) -> set[str]:
        """Ids of papers (on the list of ``day``, if given) with at least one successful summary."""
        query = select(summaries.c.paper_id).where(summaries.c.error.is_(None)).distinct()
        if day is not None:
            listed = select(daily_lists.c.paper_id).where(daily_lists.c.day == day)
            query = query.where(summaries.c.paper_id.in_(listed))
        with self._read("read summaries") as conn:
            return set(conn.execute(query).scalars())
