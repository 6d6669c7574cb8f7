"""The other commands, as a user runs them, over loopback."""

from __future__ import annotations

import json

from test_run import JAN02, cli, env_for, llm_env, settings_for

from dailypapers.pipeline import run_day


def test_list_json_and_table(fake_server, corpus, tmp_path):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-08")
    env = env_for(fake_server, tmp_path)
    listed = cli(["list", "--date", "2026-01-08", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    papers = json.loads(listed.stdout)
    assert [p["id"] for p in papers] == ids
    assert papers[0]["authors"][0] == "Muxi Diao"
    top = cli(["list", "--date", "2026-01-08", "--sort", "upvotes", "--limit", "3"], env, tmp_path)
    assert top.returncode == 0 and "2601.02151" in top.stdout
    empty = cli(["list", "--date", "2026-01-10"], env, tmp_path)
    assert empty.returncode == 3


def test_fulltext_names_its_source_and_falls_back(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = env_for(fake_server, tmp_path)
    done = cli(["fulltext", "2512.24617", "--budget", "2000"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0]
    assert "read from: pdf" in header and "html: HTTP 404" in header
    assert "Dynamic Large Concept Models" in done.stdout or "DLCM" in done.stdout
    bad = cli(["fulltext", "../../etc/passwd"], env, tmp_path)
    assert bad.returncode == 2 and "not an arXiv id" in bad.stderr
    missing = cli(["fulltext", "2512.24617", "--source", "html"], env, tmp_path)
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr


def test_templates_list_and_show(fake_server, tmp_path):
    env = env_for(fake_server, tmp_path)
    listed = cli(["templates", "list"], env, tmp_path)
    assert listed.returncode == 0
    for name in ("digest-vi", "digest-en", "report-zh"):
        assert name in listed.stdout
    shown = cli(["templates", "show", "report-zh"], env, tmp_path)
    assert shown.returncode == 0 and "应用领域" in shown.stdout
    unknown = cli(["templates", "show", "nope"], env, tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


async def test_site_command_builds_from_the_store(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    await run_day(JAN02, settings_for(fake_server, tmp_path))
    env = env_for(fake_server, tmp_path)
    done = cli(["site", "--out", str(tmp_path / "site")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "2026-01-02" in index
    assert (tmp_path / "site/2026/01/daily_digest_2026-01-02.html").is_file()
    assert (tmp_path / "site/feed.xml").is_file()


def test_dry_run_calls_no_llm(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = llm_env(
        fake_server, tmp_path, DAILYPAPERS_LLM_API_KEY="k", DAILYPAPERS_LLM_MODEL="gemini-2.5-flash"
    )
    done = cli(["run", "--date", "2026-01-02", "--dry-run"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert len(plan["to_summarize"]) == 7 and plan["cost_usd_max"] > 0
    assert fake_server.chat_requests() == []


def test_run_publishes_to_a_folder_and_delivers(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.add_fault("/hook", status=200, body=b"ok", times=5)
    env = env_for(fake_server, tmp_path)
    shared = tmp_path / "shared-drive"
    args = ["run", "--date", "2026-01-02", "--out", str(tmp_path / "out"), "--format", "md,html"]
    args += ["--publish", str(shared), "--notify", f"webhook:{fake_server.url}/hook"]
    done = cli(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (shared / "2026/01/daily_digest_2026-01-02.md").is_file()
    assert (shared / "2026/01/daily_digest_2026-01-02.html").is_file()
    for name in ("index.html", "feed.xml", "search.json", "static/style.css"):
        assert (shared / name).is_file(), name
    hook = [r for r in fake_server.requests if r.path == "/hook"]
    assert len(hook) == 1
    payload = hook[0].json()
    assert payload["date"] == "2026-01-02" and len(payload["papers"]) == 7


def test_failed_delivery_exits_4_and_keeps_the_digest(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = env_for(fake_server, tmp_path)
    args = ["run", "--date", "2026-01-02", "--out", str(tmp_path / "out")]
    args += ["--notify", f"webhook:{fake_server.url}/missing-hook"]
    done = cli(args, env, tmp_path)
    assert done.returncode == 4, done.stderr
    assert (tmp_path / "out/2026/01/daily_digest_2026-01-02.md").is_file()
    bad = cli(["run", "--date", "2026-01-02", "--notify", "pigeon:home"], env, tmp_path)
    assert bad.returncode == 2


def test_schedule_once_runs_the_previous_day(fake_server, corpus, tmp_path):
    env = env_for(fake_server, tmp_path)
    done = cli(["schedule", "--once", "--at", "00:00", "--tz", "UTC"], env, tmp_path)
    # The fake server has no list for the last days: every due day is a normal "no papers".
    assert done.returncode in (0, 3), done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "data").is_dir()
    asked = {r.query["date"][0] for r in fake_server.requests if r.path == "/api/daily_papers"}
    assert len(asked) >= 1


def test_titles_are_text_not_markup(fake_server, corpus, tmp_path):
    entries = json.loads((corpus / "hf_api" / "daily_papers_2026-01-02.json").read_bytes())
    entries[0]["paper"]["title"] = "Closing [/] and [bold]loud[/bold] [red]titles"
    fake_server.add_day("2026-01-03", json.dumps(entries))
    env = env_for(fake_server, tmp_path, COLUMNS="250")
    done = cli(["list", "--date", "2026-01-03"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Closing [/] and [bold]loud[/bold] [red]titles" in done.stdout


def test_fulltext_abstract_comes_from_the_stored_list(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = env_for(fake_server, tmp_path)
    assert cli(["run", "--date", "2026-01-02", "--no-llm"], env, tmp_path).returncode == 0
    done = cli(["fulltext", "2512.24165", "--source", "abstract"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "read from: abstract" in done.stdout.splitlines()[0]
    assert "## Abstract" in done.stdout


def test_a_range_goes_on_after_a_bad_date(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.add_day("2026-01-05", b"<html>oops</html>")
    fake_server.serve_corpus_day(corpus, "2026-01-08")
    env = env_for(fake_server, tmp_path)
    args = ["run", "--from", "2026-01-02", "--to", "2026-01-08", "--out", str(tmp_path / "out")]
    done = cli(args, env, tmp_path)
    assert done.returncode == 1
    assert "2026-01-05" in done.stderr and "Traceback" not in done.stderr
    for day in ("2026-01-02", "2026-01-08"):
        assert (tmp_path / f"out/2026/01/daily_digest_{day}.md").is_file()
        assert f"daily_digest_{day}.md" in done.stdout
    plan = cli(["run", "--from", "2026-01-02", "--to", "2026-01-03", "--dry-run"], env, tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert [p["date"] for p in json.loads(plan.stdout)] == ["2026-01-02"]
