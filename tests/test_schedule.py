"""The scheduler's logic with an injected clock: run times across zones and DST, catch-up, locks."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dailypapers.errors import DailyPapersError, UsageError
from dailypapers.schedule import (
    due_dates,
    latest_due,
    load_state,
    next_run,
    parse_at,
    parse_tz,
    run_at,
    run_lock,
    run_scheduler,
    save_state,
    serve,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- next_run -----------------------------------------------------------------------------------


def test_next_run_is_later_today_or_tomorrow():
    at = time(7, 0)
    assert next_run(utc(2026, 1, 8, 6, 59), at, ZoneInfo("UTC")) == utc(2026, 1, 8, 7)
    assert next_run(utc(2026, 1, 8, 7, 0), at, ZoneInfo("UTC")) == utc(2026, 1, 9, 7)  # strictly
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run(datetime(2026, 1, 8), at, ZoneInfo("UTC"))


def test_next_run_uses_the_zones_own_date():
    # 23:30 UTC on Jan 7 is already 06:30 on Jan 8 in Ho Chi Minh City (UTC+7, no DST).
    when = next_run(utc(2026, 1, 7, 23, 30), time(7, 0), HCM)
    assert when == utc(2026, 1, 8, 0, 0)
    assert (when.tzinfo, when.hour, when.date()) == (HCM, 7, date(2026, 1, 8))
    assert next_run(utc(2026, 1, 8, 0, 0), time(7, 0), HCM) == utc(2026, 1, 9, 0, 0)


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc", "local_hour_minute"),
    [
        (NY, date(2026, 3, 8), utc(2026, 3, 8, 7, 30), (3, 30)),  # 02:30 does not exist
        (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 1, 30), (3, 30)),
    ],
)
def test_a_time_skipped_by_spring_forward_runs_once_at_the_shifted_time(
    tz, day, expected_utc, local_hour_minute
):
    at = time(2, 30)
    midnight = datetime.combine(day, time(0, 0), tzinfo=tz)
    first = next_run(midnight, at, tz)
    assert first == expected_utc
    assert (first.hour, first.minute) == local_hour_minute
    second = next_run(first, at, tz)
    assert second.date() == day + timedelta(days=1) and (second.hour, second.minute) == (2, 30)


@pytest.mark.parametrize(
    ("tz", "day", "at", "first_utc"),
    [
        (NY, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not EST
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),  # 02:30 CEST
    ],
)
def test_a_time_repeated_by_fall_back_runs_once(tz, day, at, first_utc):
    midnight = datetime.combine(day, time(0, 0), tzinfo=tz)
    first = next_run(midnight, at, tz)
    # (An ambiguous local time never compares == across zones (PEP 495): compare in UTC.)
    assert first.astimezone(UTC) == first_utc and first.fold == 0
    second = next_run(first, at, tz)  # not the repeated wall time one hour later
    assert second.date() == day + timedelta(days=1)
    assert second - first > timedelta(hours=23)


@pytest.mark.parametrize("tz", [NY, BERLIN, HCM, ZoneInfo("UTC")])
@pytest.mark.parametrize("at", [time(0, 0), time(1, 30), time(2, 30), time(7, 0), time(23, 59)])
def test_a_year_of_runs_is_one_run_per_local_day(tz, at):
    now = utc(2025, 12, 31, 12)
    seen: list[date] = []
    for _ in range(366):
        now = next_run(now, at, tz)
        local = now.astimezone(tz)
        seen.append(local.date())
        wall = datetime.combine(local.date(), at)
        # The wall time is `at`, or `at` pushed forward by a spring-forward gap (one hour).
        assert local.replace(tzinfo=None) - wall in (timedelta(0), timedelta(hours=1))
    assert seen == [seen[0] + timedelta(days=n) for n in range(366)]


def test_run_at_resolves_gaps_and_folds():
    assert run_at(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7, 30)
    assert run_at(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)
    assert run_at(date(2026, 1, 8), time(7, 0), HCM) == utc(2026, 1, 8, 0, 0)


def test_parse_at_and_tz():
    assert parse_at("07:00") == time(7, 0) and parse_at("7:05") == time(7, 5)
    assert parse_tz("Europe/Berlin") == BERLIN
    for bad in ("7", "24:00", "07:60", "seven"):
        with pytest.raises(UsageError, match="--at"):
            parse_at(bad)
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(UsageError, match="--tz"):
            parse_tz(bad)


# --- due_dates ----------------------------------------------------------------------------------

UTC_ZONE = ZoneInfo("UTC")


def test_the_run_on_day_d_does_the_list_of_d_minus_1():
    at = time(7, 0)
    assert latest_due(utc(2026, 1, 9, 7, 0), at, UTC_ZONE) == date(2026, 1, 8)
    assert latest_due(utc(2026, 1, 9, 6, 59), at, UTC_ZONE) == date(2026, 1, 7)
    assert due_dates(date(2026, 1, 7), utc(2026, 1, 9, 8), at, UTC_ZONE) == [date(2026, 1, 8)]
    assert due_dates(date(2026, 1, 7), utc(2026, 1, 9, 6), at, UTC_ZONE) == []
    assert due_dates(date(2026, 1, 8), utc(2026, 1, 9, 8), at, UTC_ZONE) == []


def test_catch_up_after_downtime_is_oldest_first_and_bounded():
    at, now = time(7, 0), utc(2026, 1, 20, 8)
    assert due_dates(date(2026, 1, 16), now, at, UTC_ZONE) == [
        date(2026, 1, 17),
        date(2026, 1, 18),
        date(2026, 1, 19),
    ]
    long_ago = due_dates(date(2025, 12, 1), now, at, UTC_ZONE, catch_up_days=7)
    assert long_ago == [date(2026, 1, 13) + timedelta(days=n) for n in range(7)]
    assert due_dates(date(2025, 12, 1), now, at, UTC_ZONE, catch_up_days=0) == [date(2026, 1, 19)]
    assert due_dates(None, now, at, UTC_ZONE) == [date(2026, 1, 19)]  # first start: latest only


def test_due_dates_follow_the_zones_calendar():
    # 20:00 UTC on Jan 8 is 03:00 on Jan 9 in Ho Chi Minh City; the 02:00 run there is done.
    assert due_dates(date(2026, 1, 7), utc(2026, 1, 8, 20), time(2, 0), HCM) == [date(2026, 1, 8)]
    assert due_dates(date(2026, 1, 7), utc(2026, 1, 8, 20), time(2, 0), NY) == []


# --- Lock and state -----------------------------------------------------------------------------


def test_a_second_run_cannot_take_the_lock(tmp_path):
    with run_lock(tmp_path):
        with (
            pytest.raises(DailyPapersError, match="another dailypapers run") as exc,
            run_lock(tmp_path),
        ):
            pass
        assert "pid" in str(exc.value)
    with run_lock(tmp_path):  # released: free again
        pass


def test_the_lock_holds_against_another_process(tmp_path):
    script = (
        "import sys; from pathlib import Path; from dailypapers.schedule import run_lock\n"
        "from dailypapers.errors import DailyPapersError\n"
        "try:\n    with run_lock(Path(sys.argv[1])): print('got it')\n"
        "except DailyPapersError as e: print(e); sys.exit(e.exit_code)\n"
    )
    with run_lock(tmp_path):
        busy = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True
        )
    assert busy.returncode == 1 and "another dailypapers run is going on" in busy.stdout
    free = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True
    )
    assert free.returncode == 0 and "got it" in free.stdout


@pytest.mark.parametrize("where", ["proc", "file"])
def test_a_data_dir_that_cannot_be_used_is_one_clear_error(tmp_path, where):
    if where == "proc":
        state_dir = Path("/proc/x/dailypapers")  # cannot be created, whoever we run as
    else:
        (tmp_path / "blocker").write_text("a file where the data folder should be")
        state_dir = tmp_path / "blocker" / "dailypapers"
    with pytest.raises(DailyPapersError) as exc, run_lock(state_dir):
        pass
    message = str(exc.value)
    assert message.startswith(f"cannot use the data folder {state_dir}: ")
    assert message.endswith("(set DAILYPAPERS_DATA_DIR)") and "\n" not in message
    assert type(exc.value) is DailyPapersError and exc.value.exit_code == 1
    with pytest.raises(DailyPapersError, match="cannot use the data folder"):
        asyncio.run(serve(lambda day: 0, at=time(7), tz=BERLIN, state_dir=state_dir, once=True))


def test_state_is_saved_atomically_and_bad_state_is_ignored(tmp_path):
    assert load_state(tmp_path) is None
    save_state(tmp_path, date(2026, 1, 8))
    assert load_state(tmp_path) == date(2026, 1, 8)
    assert json.loads((tmp_path / "schedule.json").read_text())["last_done"] == "2026-01-08"
    assert [p.name for p in tmp_path.iterdir()] == ["schedule.json"]  # no temp file left
    (tmp_path / "schedule.json").write_text("{not json")
    assert load_state(tmp_path) is None


# --- serve --------------------------------------------------------------------------------------


class Stop(Exception):
    pass


class FakeClock:
    """A clock that only moves when the scheduler sleeps; stops the loop after ``until``."""

    def __init__(self, start: datetime, until: datetime) -> None:
        self.now, self.until = start, until
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.now > self.until:
            raise Stop


async def test_serve_catches_up_then_runs_each_day_once(tmp_path):
    save_state(tmp_path, date(2025, 12, 31))
    clock = FakeClock(utc(2026, 1, 5, 6, 0), until=utc(2026, 1, 10, 12, 0))
    runs: list[tuple[date, datetime]] = []

    async def job(day: date) -> int:
        runs.append((day, clock()))
        return 0

    with pytest.raises(Stop):
        await serve(
            job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, sleep=clock.sleep
        )
    assert [d for d, _ in runs] == [date(2026, 1, n) for n in range(1, 10)]
    # Jan 1-3 at start (catch-up), then Jan 4 at 07:00 on Jan 5, Jan 5 at 07:00 on Jan 6, ...
    assert [t for _, t in runs[:3]] == [utc(2026, 1, 5, 6)] * 3
    assert all(t == utc(2026, 1, d.day + 1, 7) for d, t in runs[3:])
    assert max(clock.sleeps) <= 300  # sleeps in short steps: a suspended machine catches up
    assert load_state(tmp_path) == date(2026, 1, 9)


async def test_serve_across_fall_back_runs_once(tmp_path):
    save_state(tmp_path, date(2026, 10, 30))
    start = datetime(2026, 10, 31, 12, tzinfo=NY)
    clock = FakeClock(start, until=datetime(2026, 11, 3, 12, tzinfo=NY))
    runs: list[datetime] = []

    def job(day: date) -> None:  # a plain function works too
        runs.append(clock().astimezone(NY))

    with pytest.raises(Stop):
        await serve(job, at=time(1, 30), tz=NY, state_dir=tmp_path, clock=clock, sleep=clock.sleep)
    assert [(r.date(), r.hour, r.minute) for r in runs] == [
        (date(2026, 11, 1), 1, 30),  # once, although 01:30 happened twice that night
        (date(2026, 11, 2), 1, 30),
        (date(2026, 11, 3), 1, 30),
    ]


async def test_a_failed_date_is_retried_before_later_dates(tmp_path):
    save_state(tmp_path, date(2026, 1, 5))
    clock = FakeClock(utc(2026, 1, 8, 8, 0), until=utc(2026, 1, 8, 12, 0))
    outcomes = {date(2026, 1, 6): [1, 0]}  # fails once, then works
    runs: list[date] = []

    async def job(day: date) -> int:
        runs.append(day)
        return outcomes.get(day, [0]).pop(0) if outcomes.get(day) else 0

    with pytest.raises(Stop):
        await serve(
            job,
            at=time(7, 0),
            tz=UTC_ZONE,
            state_dir=tmp_path,
            clock=clock,
            sleep=clock.sleep,
            retry_delay=3600,
        )
    assert runs == [date(2026, 1, 6), date(2026, 1, 6), date(2026, 1, 7)]
    assert load_state(tmp_path) == date(2026, 1, 7)


async def test_serve_once_returns_the_worst_exit_code_and_keeps_no_papers_as_done(tmp_path):
    save_state(tmp_path, date(2026, 1, 5))
    clock = FakeClock(utc(2026, 1, 8, 8, 0), until=utc(2026, 1, 8, 9, 0))
    codes = {date(2026, 1, 6): 3, date(2026, 1, 7): 4}

    async def job(day: date) -> int:
        return codes[day]

    code = await serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
    assert code == 4 and load_state(tmp_path) == date(2026, 1, 7)
    assert (
        await serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
        == 0
    )


async def test_errors_in_the_job_are_contained(tmp_path, caplog):
    clock = FakeClock(utc(2026, 1, 8, 8, 0), until=utc(2026, 1, 8, 9, 0))

    async def job(day: date) -> int:
        raise RuntimeError("boom")

    code = await serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
    assert code == 1 and load_state(tmp_path) is None
    assert "digest of 2026-01-07 failed with a bug" in caplog.text


async def test_a_second_scheduler_and_a_run_during_a_job_are_refused(tmp_path):
    clock = FakeClock(utc(2026, 1, 8, 8, 0), until=utc(2026, 1, 20, 0, 0))
    started, release = asyncio.Event(), asyncio.Event()

    async def job(day: date) -> int:
        started.set()
        await release.wait()
        return 0

    first = asyncio.create_task(
        serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
    )
    await started.wait()
    with pytest.raises(DailyPapersError, match="another dailypapers scheduler is going on"):
        await serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
    with pytest.raises(DailyPapersError, match="another dailypapers run"), run_lock(tmp_path):
        pass
    release.set()
    assert await first == 0
    with run_lock(Path(tmp_path)):  # both locks are free again
        pass


def test_run_scheduler_is_the_blocking_entry_point(tmp_path):
    days: list[date] = []

    async def job(day: date) -> int:
        days.append(day)
        return 0

    code = run_scheduler(job, at="07:00", tz="Asia/Ho_Chi_Minh", state_dir=tmp_path, once=True)
    expected = latest_due(datetime.now(UTC), time(7, 0), HCM)
    assert code == 0 and days == [expected] and load_state(tmp_path) == expected
    with pytest.raises(UsageError, match="--at"):
        run_scheduler(job, at="7am", tz="UTC", state_dir=tmp_path)


async def test_no_papers_counts_as_done(tmp_path):
    from dailypapers.errors import NoPapersError

    save_state(tmp_path, date(2026, 1, 9))
    clock = FakeClock(utc(2026, 1, 12, 8, 0), until=utc(2026, 1, 12, 9, 0))
    runs: list[date] = []

    async def job(day: date) -> int:
        runs.append(day)
        if day.weekday() >= 5:
            raise NoPapersError(f"no papers for {day}")
        return 0

    code = await serve(job, at=time(7, 0), tz=UTC_ZONE, state_dir=tmp_path, clock=clock, once=True)
    assert runs == [date(2026, 1, 10), date(2026, 1, 11)]  # a weekend
    assert code == 3 and load_state(tmp_path) == date(2026, 1, 11)
