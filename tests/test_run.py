"""Whole runs over loopback HTTP: the real corpus days through the real clients and pipeline."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from fakeserver import FakeServer

from dailypapers.config import Settings, load_settings
from dailypapers.pipeline import run_day
from dailypapers.store import Store

JAN02 = date(2026, 1, 2)
JAN08 = date(2026, 1, 8)
SECRET = "sk-test-DO-NOT-LEAK-1234567890"


def settings_for(server: FakeServer, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "hf_endpoint": server.url,
        "arxiv_endpoint": server.url,
        "llm_provider": "custom",
        "llm_base_url": f"{server.url}/v1",
        "llm_api_key": SECRET,
        "llm_model": "fake-model",
        "arxiv_delay": 0.0,
        "data_dir": tmp_path / "data",
        "out": tmp_path / "out",
        "llm_timeout": 5.0,
        "http_timeout": 5.0,
    }
    values.update(extra)
    return load_settings(**values)


def env_for(server: FakeServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    for key in ("GEMINI_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "NVIDIA_API_KEY"):
        env.pop(key, None)
    env.update(
        DAILYPAPERS_HF_ENDPOINT=server.url,
        DAILYPAPERS_ARXIV_ENDPOINT=server.url,
        DAILYPAPERS_DATA_DIR=str(tmp_path / "data"),
        DAILYPAPERS_ARXIV_DELAY="0",
    )
    env.update(extra)
    return env


def llm_env(server: FakeServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    """``env_for`` plus an LLM: the fake server's chat endpoint, with the test key."""
    llm = {
        "DAILYPAPERS_LLM_PROVIDER": "custom",
        "DAILYPAPERS_LLM_BASE_URL": f"{server.url}/v1",
        "DAILYPAPERS_LLM_API_KEY": SECRET,
        "DAILYPAPERS_LLM_MODEL": "fake-model",
    }
    return env_for(server, tmp_path, **{**llm, **extra})


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_real_day_0102_complete_digest_vi(fake_server, corpus, tmp_path):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-02")
    result = await run_day(JAN02, settings_for(fake_server, tmp_path))
    digest = result.digest
    assert [item.paper.id for item in digest.items] == ids
    assert digest.stats.sources == {"pdf": 4, "abstract": 3}
    assert digest.stats.failed == 0 and digest.stats.summarized == 7
    assert digest.stats.llm_calls == 7
    markdown = result.paths["md"].read_text(encoding="utf-8")
    assert result.paths["md"] == tmp_path / "out/2026/01/daily_digest_2026-01-02.md"
    assert markdown.startswith("# 🤗 Daily Hugging Face Paper Digest - 2026-01-02")
    for n, item in enumerate(digest.items, 1):
        assert f"## {n}. {item.paper.title}" in markdown
    abstract_only = [i for i in digest.items if i.source == "abstract"]
    assert all("html: HTTP 404" in " ".join(i.skipped) for i in abstract_only)
    data = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    assert len(data["papers"]) == 7
    assert SECRET not in markdown and SECRET not in result.paths["json"].read_text()


async def test_real_day_0108_report_zh_reads_html(fake_server, corpus, tmp_path):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-08", borrow_html=True)
    settings = settings_for(fake_server, tmp_path, template="report-zh")
    result = await run_day(JAN08, settings)
    digest = result.digest
    assert len(ids) == 20 and [i.paper.id for i in digest.items] == ids
    assert digest.stats.failed == 0
    assert digest.stats.sources.get("html", 0) >= 8
    markdown = result.paths["md"].read_text(encoding="utf-8")
    for label in ("应用领域", "一句话核心贡献", "使用指南", "主要创新点", "实验效果"):
        assert markdown.count(label) >= 20, label
    chats = fake_server.chat_requests()
    assert len(chats) == 20
    assert all(
        "Chinese" in json.dumps(c, ensure_ascii=False) or "中文" in json.dumps(c) for c in chats
    )


async def test_rerun_makes_no_llm_call_and_grown_list_only_new(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(
        corpus, "2026-01-08", file="daily_papers_2026-01-08.partial_0751Z.json"
    )
    settings = settings_for(fake_server, tmp_path)
    first = await run_day(JAN08, settings)
    assert first.digest.stats.summarized == 11
    again = await run_day(JAN08, settings)
    assert again.digest.stats.reused == 11 and again.digest.stats.llm_calls == 0
    assert len(fake_server.chat_requests()) == 11
    fake_server.serve_corpus_day(corpus, "2026-01-08")
    grown = await run_day(JAN08, settings)
    assert grown.digest.stats.papers == 20
    assert (grown.digest.stats.reused, grown.digest.stats.summarized) == (11, 9)
    assert len(fake_server.chat_requests()) == 20
    forced = await run_day(JAN08, settings_for(fake_server, tmp_path, force=True, limit=2))
    assert forced.digest.stats.summarized == 2 and len(fake_server.chat_requests()) == 22


async def test_faults_end_in_success_or_stub_never_missing(fake_server, corpus, tmp_path):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.add_fault("/api/daily_papers", status=429, headers={"Retry-After": "1"})
    fake_server.add_fault("/pdf/2512.22630", status=500, times=2)
    fake_server.add_fault("/v1/chat/completions", status=429, headers={"Retry-After": "1"})
    fake_server.add_fault("/v1/chat/completions", status=503)
    fake_server.enqueue_chat("this is not JSON at all")
    settings = settings_for(fake_server, tmp_path, concurrency=1)
    result = await run_day(JAN02, settings)
    digest = result.digest
    assert [item.paper.id for item in digest.items] == ids
    assert digest.stats.failed == 0
    assert digest.stats.sources["pdf"] == 4
    assert fake_server.hits("/api/daily_papers") == 2
    assert fake_server.hits("/pdf/2512.22630") == 3


async def test_hung_llm_and_always_bad_model_give_stubs_with_reasons(fake_server, corpus, tmp_path):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.responder = lambda request: "no json here, sorry"
    settings = settings_for(fake_server, tmp_path, limit=2, llm_max_reasks=1, llm_max_retries=1)
    fake_server.add_fault("/v1/chat/completions", delay=8.0, times=1)
    result = await run_day(JAN02, settings)
    digest = result.digest
    assert [item.paper.id for item in digest.items] == ids[:2]
    assert digest.stats.failed == 2
    assert all(reason for reason in digest.stats.failures.values())
    markdown = result.paths["md"].read_text(encoding="utf-8")
    assert markdown.count("Summary generation failed.") == 2
    data = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    assert all(paper["error"] for paper in data["papers"])


def test_weekend_exits_3_and_bad_date_exits_2(fake_server, tmp_path):
    env = env_for(fake_server, tmp_path)
    weekend = cli(["run", "--date", "2026-01-10", "--no-llm"], env, tmp_path)
    assert weekend.returncode == 3, weekend.stderr
    assert "no papers" in weekend.stderr and "Traceback" not in weekend.stderr
    bad = cli(["run", "--date", "2026-13-45"], env, tmp_path)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_no_key_still_writes_a_digest(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-08")
    env = env_for(fake_server, tmp_path)
    done = cli(["run", "--date", "2026-01-08", "--out", str(tmp_path / "out")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "out/2026/01/daily_digest_2026-01-08.md").read_text(encoding="utf-8")
    assert report.count("## ") >= 20
    assert "LLM" in report.splitlines()[2]
    assert "Entropy-Adaptive Fine-Tuning addresses catastrophic forgetting" in report
    assert fake_server.chat_requests() == []


def test_kill_9_then_resume_asks_nothing_twice(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-08")
    fake_server.llm_latency = 0.3
    env = llm_env(fake_server, tmp_path, DAILYPAPERS_CONCURRENCY="2")
    args = ["run", "--date", "2026-01-08", "--out", str(tmp_path / "out")]
    child = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = f"sqlite:///{tmp_path / 'data' / 'dailypapers.db'}"
    deadline = time.monotonic() + 120
    stored: set[str] = set()
    try:
        while time.monotonic() < deadline and len(stored) < 4:
            time.sleep(0.2)
            if (tmp_path / "data" / "dailypapers.db").exists():
                store = Store(db)
                stored = store.summarized_ids()
                store.close()
    finally:
        helpers = children_of(child.pid)
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert 4 <= len(stored) < 20, "the run was not caught in the middle"
    deadline = time.monotonic() + 10  # PDF workers notice their parent is gone within ~1 s
    while time.monotonic() < deadline and any(alive(pid) for pid in helpers):
        time.sleep(0.2)
    assert [pid for pid in helpers if alive(pid)] == [], "a helper process outlived the run"
    assert not (tmp_path / "out/2026/01/daily_digest_2026-01-08.md").exists()
    asked_before = len(fake_server.chat_requests())
    fake_server.llm_latency = 0.0
    done = cli(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    titles = {}
    for entry in json.loads(fake_server.days["2026-01-08"]):
        titles[entry["paper"]["id"]] = entry["paper"]["title"]
    second = fake_server.chat_requests()[asked_before:]
    asked_again = {
        pid
        for pid in stored
        for request in second
        if titles[pid] in json.dumps(request["messages"], ensure_ascii=False)
    }
    assert asked_again == set()
    assert 0 < len(second) <= 20 - len(stored)
    leftovers = [p for p in (tmp_path / "out").rglob("*") if p.name.startswith(".tmp")]
    assert leftovers == []
    report = (tmp_path / "out/2026/01/daily_digest_2026-01-08.md").read_text(encoding="utf-8")
    assert report.count("\n## ") >= 20


@pytest.mark.parametrize("secret_env", ["DAILYPAPERS_LLM_API_KEY"])
def test_secret_never_in_output_or_store(fake_server, corpus, tmp_path, secret_env):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = env_for(
        fake_server,
        tmp_path,
        DAILYPAPERS_LLM_PROVIDER="custom",
        DAILYPAPERS_LLM_BASE_URL=f"{fake_server.url}/v1",
        DAILYPAPERS_LLM_MODEL="fake-model",
        **{secret_env: SECRET},
    )
    done = cli(["run", "--date", "2026-01-02", "-v", "--out", str(tmp_path / "out")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    for path in (tmp_path).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    requests = [r for r in fake_server.requests if r.path.endswith("/chat/completions")]
    assert requests and all(SECRET not in r.body.decode() for r in requests)
    assert all(r.headers.get("authorization") == f"Bearer {SECRET}" for r in requests)


def test_wrong_key_is_one_run_level_error_without_the_key(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.enqueue_chat(f"Incorrect API key provided: {SECRET}", status=401)
    env = llm_env(fake_server, tmp_path, DAILYPAPERS_CONCURRENCY="1")
    done = cli(["run", "--date", "2026-01-02", "--out", str(tmp_path / "out")], env, tmp_path)
    assert done.returncode == 1
    assert "authentication failed" in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert len(fake_server.chat_requests()) == 1


def test_ctrl_c_stops_cleanly_and_keeps_what_is_done(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-08")
    fake_server.llm_latency = 0.5
    env = llm_env(fake_server, tmp_path, DAILYPAPERS_LLM_CONCURRENCY="1")
    child = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "run", "--date", "2026-01-08"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = f"sqlite:///{tmp_path / 'data' / 'dailypapers.db'}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if (tmp_path / "data" / "dailypapers.db").exists():
            store = Store(db)
            done = len(store.summarized_ids())
            store.close()
            if done >= 2:
                break
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    store = Store(db)
    try:
        assert len(store.summarized_ids()) >= 2
        assert [run.status for run in store.runs()] == ["interrupted"]
    finally:
        store.close()


async def test_a_hallucinating_answer_is_re_asked_with_the_missing_claims(
    fake_server, corpus, tmp_path
):
    from fakeserver import fill_schema

    fake_server.serve_corpus_day(corpus, "2026-01-02")
    invented = ["Llama-3-70B", "MMLU-Pro", "Mixtral-8x22B", "GPT-9", "99.37%"] * 4

    def responder(request):
        if len(fake_server.chat_requests()) == 1:
            schema = request["response_format"]["json_schema"]["schema"]
            return json.dumps(fill_schema(schema, "vi", invented), ensure_ascii=False)
        return FakeServer.default_answer(request)

    fake_server.responder = responder
    result = await run_day(JAN02, settings_for(fake_server, tmp_path, limit=1))
    chats = fake_server.chat_requests()
    assert len(chats) == 2
    assert "not in the paper's text" in chats[1]["messages"][-1]["content"]
    assert "MMLU-Pro" in chats[1]["messages"][-1]["content"]
    summary = result.digest.items[0].summary
    assert summary is not None and summary.ok and summary.llm_calls == 2
    assert "MMLU-Pro" not in json.dumps(summary.fields)


async def test_a_passing_outage_is_not_remembered_as_abstract_only(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.add_fault("/pdf/2512.23959", status=503, times=2)
    settings = settings_for(fake_server, tmp_path, limit=1, http_retries=2)
    first = await run_day(JAN02, settings)
    assert first.digest.items[0].source == "abstract"
    assert "pdf: HTTP 503" in first.digest.items[0].skipped
    again = await run_day(JAN02, settings)
    item = again.digest.items[0]
    assert item.source == "pdf" and item.outcome == "summarized"


async def test_a_failed_redo_keeps_the_stored_summary(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    settings = settings_for(fake_server, tmp_path, limit=2)
    good = await run_day(JAN02, settings)
    assert good.digest.stats.summarized == 2
    fake_server.responder = lambda request: "not json"
    forced = settings_for(fake_server, tmp_path, limit=2, force=True, llm_max_reasks=0)
    redo = await run_day(JAN02, forced)
    assert [i.outcome for i in redo.digest.items] == ["reused", "reused"]
    assert "Summary generation failed." not in redo.paths["md"].read_text(encoding="utf-8")


def test_every_paper_failing_exits_1_and_keeps_the_site(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    env = env_for(
        fake_server,
        tmp_path,
        DAILYPAPERS_LLM_PROVIDER="custom",
        DAILYPAPERS_LLM_BASE_URL="http://127.0.0.1:9/v1",
        DAILYPAPERS_LLM_API_KEY=SECRET,
        DAILYPAPERS_LLM_MODEL="fake-model",
        DAILYPAPERS_LLM_MAX_RETRIES="0",
    )
    args = ["run", "--date", "2026-01-02", "--limit", "2", "--out", str(tmp_path / "out")]
    done = cli(args, env, tmp_path)
    assert done.returncode == 1, done.stderr
    assert "all 2 papers of 2026-01-02 failed" in done.stderr
    report = (tmp_path / "out/2026/01/daily_digest_2026-01-02.md").read_text(encoding="utf-8")
    assert report.count("Summary generation failed.") == 2
    store = Store(f"sqlite:///{tmp_path / 'data' / 'dailypapers.db'}")
    try:
        assert [run.status for run in store.runs()] == ["failed"]
        assert store.digests() == []
    finally:
        store.close()


async def test_other_templates_write_their_own_files(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    vi = await run_day(JAN02, settings_for(fake_server, tmp_path, limit=1, no_llm=True))
    zh = await run_day(
        JAN02, settings_for(fake_server, tmp_path, limit=1, no_llm=True, template="report-zh")
    )
    en = await run_day(JAN02, settings_for(fake_server, tmp_path, limit=1, no_llm=True, lang="en"))
    names = {vi.paths["md"].name, zh.paths["md"].name, en.paths["md"].name}
    assert names == {
        "daily_digest_2026-01-02.md",
        "daily_digest_2026-01-02.report-zh.md",
        "daily_digest_2026-01-02.digest-vi.en.md",
    }
    assert all(path.is_file() for path in (vi.paths["md"], zh.paths["md"], en.paths["md"]))


def test_webhook_paths_and_url_passwords_stay_secret(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.add_fault("/hook/", status=200, body=b"ok", times=5)
    host = fake_server.url.removeprefix("http://")
    env = env_for(
        fake_server,
        tmp_path,
        DAILYPAPERS_LLM_PROVIDER="custom",
        DAILYPAPERS_LLM_BASE_URL=f"http://user:URLPASSWORD42@{host}/v1",
        DAILYPAPERS_LLM_API_KEY=SECRET,
        DAILYPAPERS_LLM_MODEL="fake-model",
    )
    args = ["run", "--date", "2026-01-02", "--limit", "2", "-v", "--out", str(tmp_path / "out")]
    args += ["--notify", f"webhook:{fake_server.url}/hook/HOOKSECRET99", "--format", "md,json,html"]
    done = cli(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    for secret in ("URLPASSWORD42", "HOOKSECRET99", SECRET):
        assert secret not in done.stdout + done.stderr
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), (secret, path)
    fake_server.add_fault("/v1/", status=200, body=b"not an answer", times=50)
    failed = cli([*args, "--force"], env, tmp_path)
    assert "URLPASSWORD42" not in failed.stdout + failed.stderr


async def test_a_paper_past_its_deadline_becomes_a_stub(fake_server, corpus, tmp_path):
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    fake_server.llm_latency = 3.0
    settings = settings_for(fake_server, tmp_path, limit=1, paper_deadline=1.0)
    result = await run_day(JAN02, settings)
    item = result.digest.items[0]
    assert (item.outcome, item.error) == ("failed", "deadline exceeded")
    assert "Summary generation failed." in result.paths["md"].read_text(encoding="utf-8")


async def test_hostile_model_output_never_reaches_the_site(fake_server, corpus, tmp_path):
    from fakeserver import fill_schema

    fake_server.serve_corpus_day(corpus, "2026-01-02")
    payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">y</a>',
    ]

    def responder(request):
        schema = request["response_format"]["json_schema"]["schema"]
        return json.dumps(fill_schema(schema, "vi", payloads * 3), ensure_ascii=False)

    fake_server.responder = responder
    settings = settings_for(fake_server, tmp_path, limit=2, formats=["md", "json", "html"])
    result = await run_day(JAN02, settings)
    assert result.digest.stats.summarized == 2
    assert "<script>alert(1)</script>" in result.paths["md"].read_text(encoding="utf-8")
    site = [p for p in (tmp_path / "out").rglob("*") if p.suffix in {".html", ".xml", ".js"}]
    assert any(p.name == "index.html" for p in site)
    for path in site:
        text = path.read_text(encoding="utf-8").lower()
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert not re.search(r"<[a-z][^>]*\son\w+\s*=", text), path  # no on* attribute
        assert not re.search(r"""<[a-z][^<>]*(href|src)\s*=\s*["']?\s*javascript:""", text), path


@pytest.mark.parametrize(
    ("day", "template", "labels"),
    [
        (
            "2026-01-02",
            "report-zh",
            ("应用领域", "一句话核心贡献", "使用指南", "主要创新点", "实验效果"),
        ),
        ("2026-01-08", "digest-vi", ("**Tác giả:**", "### Main Problem:", "#### 2. Patent:")),
    ],
)
async def test_each_real_day_in_the_other_layout(
    fake_server, corpus, tmp_path, day, template, labels
):
    ids = fake_server.serve_corpus_day(corpus, day)
    when = date.fromisoformat(day)
    result = await run_day(when, settings_for(fake_server, tmp_path, template=template))
    assert [i.paper.id for i in result.digest.items] == ids
    assert result.digest.stats.failed == 0
    markdown = result.paths["md"].read_text(encoding="utf-8")
    for label in labels:
        assert markdown.count(label) == len(ids), label
