"""The daily schedule: when to run, which dates are due, one run at a time, what was done.

``dailypapers schedule --at 07:00 --tz Europe/Berlin`` runs the digest every day at 07:00 local
time for the previous day's list (Hugging Face fills a date's list during that day, so it is
complete the next morning). What it owns:

- :func:`next_run` -- the next wall-clock ``at`` in ``tz`` after ``now``, right across DST: a time
  skipped by a spring-forward jump runs once at the shifted time (02:30 -> 03:30), a time that
  happens twice on a fall-back night runs once (the first).
- :func:`due_dates` -- the list dates whose run time has passed and that are not done yet, oldest
  first, at most ``catch_up_days`` of them (catch-up after downtime is bounded).
- :func:`run_lock` -- an exclusive ``fcntl.flock`` on ``run.lock`` in the data dir, so two digests
  never run at once (a second one fails at once with a clear message); :func:`serve` holds
  ``schedule.lock`` for its whole life, so a second scheduler fails the same way. A data dir
  that cannot be created or written is one clear DailyPapersError, not a traceback.
- :func:`load_state` / :func:`save_state` -- the last completed date in ``schedule.json``,
  written atomically.
- :func:`serve` -- the loop, with an injected clock and sleep so it is unit-testable;
  :func:`run_scheduler` is the blocking entry point for the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import inspect
import json
import logging
import os
import re
import signal
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import DailyPapersError, UsageError

__all__ = [
    "STATE_FILE",
    "Job",
    "due_dates",
    "latest_due",
    "load_state",
    "next_run",
    "parse_at",
    "parse_tz",
    "run_at",
    "run_lock",
    "run_scheduler",
    "save_state",
    "serve",
]

log = logging.getLogger("dailypapers.schedule")

STATE_FILE = "schedule.json"
RUN_LOCK = "run.lock"
SCHEDULER_LOCK = "schedule.lock"
#: Exit codes of a job that count as "that date is done": written, no papers, written but
#: not delivered (re-running would deliver twice to the targets that did get it).
DONE_CODES = frozenset({0, 3, 4})
_MAX_SLEEP = 300.0
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Job = Callable[[date], Awaitable[int | None] | int | None]


def parse_at(value: str) -> time:
    """``"07:00"`` -> ``time(7, 0)``; raises UsageError."""
    match = _AT.match(value.strip())
    if not match:
        raise UsageError(f"--at must be HH:MM (24-hour), got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_tz(value: str) -> ZoneInfo:
    """An IANA zone name (``UTC``, ``Europe/Berlin``) -> ZoneInfo; raises UsageError."""
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: unknown time zone {value!r} (e.g. UTC, Europe/Berlin)") from None


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now


def run_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) of wall time ``at`` on ``day`` in ``tz``.

    A time in a spring-forward gap is shifted by the jump (02:30 -> 03:30, as the offset before
    the jump reads it); an ambiguous fall-back time is its first occurrence (``fold=0``).
    """
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return local.astimezone(UTC)


def next_run(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first run time strictly after ``now``, in ``tz`` (aware)."""
    now = _aware(now)
    day = now.astimezone(tz).date() - timedelta(days=1)
    while True:
        when = run_at(day, at, tz)
        if when > now:
            return when.astimezone(tz)
        day += timedelta(days=1)


def latest_due(now: datetime, at: time, tz: ZoneInfo) -> date:
    """The newest list date whose run time has come: the run on day D does the list of D-1."""
    now = _aware(now)
    today = now.astimezone(tz).date()
    return today - timedelta(days=1 if now >= run_at(today, at, tz) else 2)


def due_dates(
    last_done: date | None,
    now: datetime,
    at: time,
    tz: ZoneInfo,
    catch_up_days: int = 7,
) -> list[date]:
    """List dates to run now, oldest first: after ``last_done``, at most ``catch_up_days``.

    With no ``last_done`` (first start) only the latest due date is run.
    """
    latest = latest_due(now, at, tz)
    if last_done is not None and last_done >= latest:
        return []
    first = latest - timedelta(days=max(1, catch_up_days) - 1)
    if last_done is None:
        first = latest
    elif last_done + timedelta(days=1) > first:
        first = last_done + timedelta(days=1)
    return [first + timedelta(days=n) for n in range((latest - first).days + 1)]


# --- Lock and state -----------------------------------------------------------------------------


@contextlib.contextmanager
def _flock(path: Path, what: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held while locked)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DailyPapersError(
            f"cannot use the data folder {path.parent}: {reason} (set DAILYPAPERS_DATA_DIR)"
        ) from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = " ".join(handle.read().split())[:120]
            raise DailyPapersError(
                f"another {what} is going on ({holder or 'unknown process'}; lock {path}): "
                "not starting a second one"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock


def run_lock(state_dir: Path) -> contextlib.AbstractContextManager[None]:
    """Hold ``run.lock`` while one digest runs; raises DailyPapersError if one is running."""
    return _flock(Path(state_dir) / RUN_LOCK, "dailypapers run")


def load_state(state_dir: Path) -> date | None:
    """The last completed list date, or None (no state yet, or unreadable: logged)."""
    path = Path(state_dir) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return date.fromisoformat(data["last_done"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable %s (%s)", path, exc.__class__.__name__)
        return None


def save_state(state_dir: Path, day: date) -> None:
    """Record ``day`` as the last completed date (temp file + rename: never half written)."""
    path = Path(state_dir) / STATE_FILE
    body = json.dumps(
        {"last_done": day.isoformat(), "updated_at": datetime.now(UTC).isoformat()}, indent=2
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- The loop -----------------------------------------------------------------------------------


async def _call(job: Job, day: date) -> int:
    """Run the job for ``day``; its exit code (None -> 0). Errors become codes, never escape."""
    try:
        if inspect.iscoroutinefunction(job):
            result: Any = await job(day)
        else:
            result = await asyncio.to_thread(job, day)
            if inspect.isawaitable(result):
                result = await result
    except DailyPapersError as exc:
        level = logging.INFO if exc.exit_code == 3 else logging.ERROR  # 3: no papers (weekend)
        log.log(level, "digest of %s: %s", day, exc)
        return exc.exit_code
    except Exception:
        log.exception("digest of %s failed with a bug", day)
        return 1
    return 0 if result is None else int(result)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def serve(
    job: Job,
    *,
    at: time,
    tz: ZoneInfo,
    state_dir: Path,
    clock: Callable[[], datetime] = _utc_now,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    once: bool = False,
    catch_up_days: int = 7,
    retry_delay: float = 3600.0,
) -> int:
    """Run ``job(day)`` for every due list date, then wait for the next run time; forever.

    ``job`` is async or sync and returns an exit code (0, None: done; 3 no papers and 4 written
    but not delivered also count as done; anything else failed). A failed date stops the round
    (later dates wait, so none is skipped) and is tried again after ``retry_delay`` seconds or
    at the next run time, whichever comes first. ``once``: run what is due and return the worst
    exit code. The scheduler holds ``schedule.lock`` and each job ``run.lock`` in ``state_dir``.
    """
    with _flock(Path(state_dir) / SCHEDULER_LOCK, "dailypapers scheduler"):
        log.info("scheduler: daily at %s %s, state in %s", at.strftime("%H:%M"), tz.key, state_dir)
        while True:
            worst, failed = 0, False
            for day in due_dates(load_state(state_dir), clock(), at, tz, catch_up_days):
                log.info("scheduler: digest of %s", day)
                try:
                    with run_lock(state_dir):
                        code = await _call(job, day)
                except DailyPapersError as exc:  # a manual run holds the lock: try later
                    log.error("scheduler: %s", exc)
                    code = exc.exit_code
                worst = max(worst, code)
                if code not in DONE_CODES:
                    log.error("scheduler: digest of %s failed (exit %d); will retry", day, code)
                    failed = True
                    break
                save_state(state_dir, day)
            if once:
                return worst
            now = clock()
            wake = next_run(now, at, tz)
            if failed:
                wake = min(wake, now + timedelta(seconds=retry_delay))
            log.info("scheduler: next run at %s", wake.isoformat())
            while (remaining := (wake - clock()).total_seconds()) > 0:
                await sleep(min(remaining, _MAX_SLEEP))


def run_scheduler(
    job: Job,
    *,
    at: str,
    tz: str,
    state_dir: Path,
    once: bool = False,
    catch_up_days: int = 7,
) -> int:
    """Blocking entry point for ``dailypapers schedule``: parse, serve until SIGTERM/SIGINT.

    Returns the exit code: with ``once``, the worst of the runs; else 0 when stopped by a signal.
    Raises UsageError for a bad ``at``/``tz`` and DailyPapersError if a scheduler is running.
    """
    when, zone = parse_at(at), parse_tz(tz)

    async def main() -> int:
        task = asyncio.ensure_future(
            serve(
                job, at=when, tz=zone, state_dir=state_dir, once=once, catch_up_days=catch_up_days
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, task.cancel)
        try:
            return await task
        except asyncio.CancelledError:
            log.info("scheduler: stopped")
            return 0

    return asyncio.run(main())
