"""llm: provider resolution, the wire protocol over loopback, retries, errors, FakeLLM."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from typing import Any

import pytest
from pydantic import SecretStr

from dailypapers.config import Settings
from dailypapers.errors import LLMError, LLMRateLimitedError, LLMRejectedError, UsageError
from dailypapers.llm import (
    PROVIDERS,
    ChatResult,
    FakeLLM,
    LLMAuthenticationError,
    LLMConfig,
    LLMUnavailableError,
    OpenAICompatibleClient,
    estimate_cost,
    resolve_llm,
    response_format,
)

KEY = "sk-test-SECRET-5f3a9c1e77"
SCHEMA = {
    "title": "DigestOutput",
    "type": "object",
    "properties": {
        "problem": {"type": "string"},
        "ideas": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3},
    },
    "required": ["problem", "ideas"],
    "additionalProperties": False,
}
MESSAGES = [
    {"role": "system", "content": "Answer in English as JSON."},
    {"role": "user", "content": "<<<PAPER\nA paper about things.\nPAPER>>>"},
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No DAILYPAPERS_* or provider key variables, no config file in reach."""
    import os

    for name in list(os.environ):
        if name.startswith("DAILYPAPERS_") or name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))


def settings(**kw: Any) -> Settings:
    return Settings(**kw)


# -- resolve_llm ---------------------------------------------------------------------------


def test_no_key_anywhere_means_no_llm(clean_env):
    assert resolve_llm(settings(), env={}) is None


def test_no_llm_wins_over_a_key(clean_env):
    assert resolve_llm(settings(no_llm=True), env={"GEMINI_API_KEY": KEY}) is None


def test_gemini_key_picks_gemini_preset(clean_env):
    config = resolve_llm(settings(), env={"GEMINI_API_KEY": KEY})
    assert config is not None
    assert config.provider == "gemini"
    assert config.model == "gemini-2.5-flash"
    assert config.base_url == "https://generativelanguage.googleapis.com/v1beta/openai/"
    assert config.api_key is not None and config.api_key.get_secret_value() == KEY
    assert config.structured == "json_schema"


def test_first_present_key_wins_in_order(clean_env):
    config = resolve_llm(settings(), env={"OPENROUTER_API_KEY": "a", "OPENAI_API_KEY": "b"})
    assert config is not None and config.provider == "openai"
    assert config.max_tokens_param == "max_completion_tokens"
    # An empty variable counts as absent.
    config = resolve_llm(settings(), env={"GEMINI_API_KEY": " ", "NVIDIA_API_KEY": "n"})
    assert config is not None and config.provider == "nvidia"
    assert config.structured == "json_object"


def test_own_key_with_base_url_is_custom(clean_env):
    s = settings(llm_base_url="http://127.0.0.1:9/v1", llm_api_key=KEY, llm_model="m")
    config = resolve_llm(s, env={"GEMINI_API_KEY": "other"})
    assert config is not None
    assert (config.provider, config.base_url, config.model) == ("custom", s.llm_base_url, "m")
    assert config.api_key is not None and config.api_key.get_secret_value() == KEY


def test_bad_combinations_are_usage_errors(clean_env):
    with pytest.raises(UsageError, match="neither"):
        resolve_llm(settings(llm_api_key=KEY), env={})
    with pytest.raises(UsageError, match="DEEPSEEK_API_KEY"):
        resolve_llm(settings(llm_provider="deepseek"), env={})
    with pytest.raises(UsageError, match="unknown LLM provider 'anthropix'"):
        resolve_llm(settings(llm_provider="anthropix"), env={})
    with pytest.raises(UsageError, match="BASE_URL"):
        resolve_llm(settings(llm_provider="custom", llm_model="m"), env={})
    with pytest.raises(UsageError, match="needs a model"):
        resolve_llm(settings(llm_provider="vllm"), env={})


def test_local_providers_need_no_key(clean_env):
    config = resolve_llm(settings(llm_provider="ollama"), env={})
    assert config is not None
    assert (config.base_url, config.api_key) == ("http://localhost:11434/v1", None)


def test_settings_flow_into_config(clean_env):
    s = settings(
        llm_provider="Gemini",
        llm_api_key=KEY,
        llm_model="gemini-2.5-pro",
        llm_timeout=7,
        llm_max_retries=1,
        llm_rpm=5,
        llm_concurrency=2,
    )
    config = resolve_llm(s, env={})
    assert config is not None
    assert (config.provider, config.model, config.timeout) == ("gemini", "gemini-2.5-pro", 7)
    assert (config.max_retries, config.rpm, config.concurrency) == (1, 5, 2)


def test_no_repr_shows_the_key(clean_env):
    config = resolve_llm(settings(), env={"GEMINI_API_KEY": KEY})
    client = OpenAICompatibleClient(config)  # type: ignore[arg-type]
    for text in (repr(config), str(config), repr(client), str(client)):
        assert KEY not in text
    assert "**********" in repr(config)


def test_every_provider_preset_is_complete():
    assert set(PROVIDERS) == {
        "gemini",
        "openai",
        "openrouter",
        "nvidia",
        "deepseek",
        "anthropic",
        "ollama",
        "vllm",
        "custom",
    }
    for name in ("gemini", "openai", "openrouter", "nvidia", "deepseek", "anthropic"):
        preset = PROVIDERS[name]
        assert preset.base_url and preset.base_url.startswith("https://")
        assert preset.key_env == f"{name.upper()}_API_KEY"
        assert preset.default_model


# -- response format and prices ------------------------------------------------------------


def test_response_format_shapes():
    fmt = response_format(SCHEMA, "json_schema")
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "DigestOutput", "schema": SCHEMA, "strict": True},
    }
    assert response_format(SCHEMA, "json_object") == {"type": "json_object"}
    assert response_format(None, "json_schema") is None


def test_schema_name_is_sanitized():
    fmt = response_format({"title": "my schema/v1", "type": "object"}, "json_schema")
    assert fmt is not None and fmt["json_schema"]["name"] == "my_schema_v1"


def test_estimate_cost():
    assert estimate_cost("gemini-2.5-flash", 1_000_000, 1_000_000) == pytest.approx(2.80)
    assert estimate_cost("google/gemini-2.5-flash", 2000, 1000) == pytest.approx(0.0031)
    assert estimate_cost("some-local-model", 10, 10) is None


# -- the wire protocol over loopback -------------------------------------------------------


def config_for(server: Any, **kw: Any) -> LLMConfig:
    base: dict[str, Any] = {
        "provider": "custom",
        "base_url": f"{server.url}/v1",
        "model": "test-model",
        "api_key": SecretStr(KEY),
        "timeout": 5.0,
        "max_retries": 3,
    }
    base.update(kw)
    return LLMConfig(**base)


def client_for(server: Any, **kw: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(config_for(server, **kw), wait_initial=0.01, wait_max=0.05)


def chat_bodies(server: Any) -> list[bytes]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


async def test_request_carries_schema_limits_and_key(fake_server):
    fake_server.enqueue_chat('{"problem": "p", "ideas": ["a", "b", "c"]}')
    async with client_for(fake_server) as client:
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=1234, temperature=0.3)
    assert result.content == '{"problem": "p", "ideas": ["a", "b", "c"]}'
    assert result.finish_reason == "stop"
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    [logged] = [r for r in fake_server.requests if r.path == "/v1/chat/completions"]
    body = logged.json()
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES
    assert body["max_tokens"] == 1234
    assert body["temperature"] == 0.3
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "DigestOutput", "schema": SCHEMA, "strict": True},
    }
    headers = {k.lower(): v for k, v in logged.headers.items()}
    assert headers["authorization"] == f"Bearer {KEY}"
    assert KEY.encode() not in logged.body


async def test_other_providers_get_no_openai_credentials_from_env(fake_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-private")
    fake_server.enqueue_chat("{}")
    async with client_for(fake_server, provider="ollama", api_key=None) as client:
        await client.complete(MESSAGES, schema=None, max_tokens=5, temperature=0.0)
    [logged] = fake_server.requests
    sent = json.dumps(logged.headers) + logged.body.decode()
    assert KEY not in sent and "org-private" not in sent and "proj-private" not in sent
    assert {k.lower(): v for k, v in logged.headers.items()}["authorization"] == "Bearer unused"


async def test_json_object_mode_and_max_completion_tokens(fake_server):
    fake_server.enqueue_chat("{}")
    cfg = {"structured": "json_object", "max_tokens_param": "max_completion_tokens"}
    async with client_for(fake_server, **cfg) as client:
        await client.complete(MESSAGES, schema=SCHEMA, max_tokens=99, temperature=0.0)
    [body] = fake_server.chat_requests()
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] == 99 and "max_tokens" not in body


async def test_truncated_answer_reports_length(fake_server):
    fake_server.enqueue_chat('{"problem": "cut', finish_reason="length")
    async with client_for(fake_server) as client:
        result = await client.complete(MESSAGES, schema=None, max_tokens=5, temperature=0.0)
    assert (result.content, result.finish_reason) == ('{"problem": "cut', "length")
    assert "response_format" not in fake_server.chat_requests()[0]


async def test_429_retry_after_is_honoured(fake_server, caplog):
    caplog.set_level(logging.DEBUG)
    fake_server.add_fault("/v1/chat", status=429, headers={"Retry-After": "1"})
    fake_server.enqueue_chat('{"ok": true}')
    async with client_for(fake_server) as client:
        started = time.monotonic()
        result = await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
        waited = time.monotonic() - started
    assert result.content == '{"ok": true}'
    assert [r.status for r in fake_server.requests] == [429, 200]
    assert client.calls == 2
    # wait_max is 0.05 s here, so a wait of ~1 s can only come from the Retry-After header.
    assert waited >= 0.95
    assert KEY not in caplog.text


async def test_429_without_end_raises_rate_limited(fake_server):
    fake_server.add_fault("/v1/chat", status=429, headers={"Retry-After": "0"}, times=10)
    async with client_for(fake_server, max_retries=2) as client:
        with pytest.raises(LLMRateLimitedError) as info:
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert info.value.retry_after == 0
    assert fake_server.hits("/v1/chat") == 3


async def test_retry_after_too_long_is_not_slept(fake_server):
    fake_server.add_fault("/v1/chat", status=429, headers={"Retry-After": "3600"})
    async with client_for(fake_server) as client:
        with pytest.raises(LLMRateLimitedError):
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert fake_server.hits("/v1/chat") == 1


async def test_5xx_is_retried_then_succeeds(fake_server):
    fake_server.add_fault("/v1/chat", status=503, times=2)
    fake_server.enqueue_chat("{}")
    async with client_for(fake_server) as client:
        result = await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert result.content == "{}"
    assert [r.status for r in fake_server.requests] == [503, 503, 200]


async def test_5xx_forever_gives_up_after_max_retries(fake_server):
    fake_server.add_fault("/v1/chat", status=500, times=10)
    async with client_for(fake_server, max_retries=2) as client:
        with pytest.raises(LLMUnavailableError, match="HTTP 500"):
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert fake_server.hits("/v1/chat") == 3


async def test_timeout_is_retried_and_translated(fake_server):
    fake_server.add_fault("/v1/chat", delay=1.0, times=2)
    async with client_for(fake_server, timeout=0.2, max_retries=1) as client:
        with pytest.raises(LLMUnavailableError, match=r"timed out after 0\.2s"):
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert fake_server.hits("/v1/chat") == 2


async def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig("custom", f"http://127.0.0.1:{port}/v1", "m", SecretStr(KEY), max_retries=0)
    async with OpenAICompatibleClient(config) as client:
        with pytest.raises(LLMUnavailableError, match=r"connection to .* failed") as info:
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert KEY not in str(info.value)


async def test_thinking_model_rejecting_temperature_fails_once_clearly(fake_server):
    message = "Unsupported value: 'temperature' does not support 0.2 with this model."
    error = {"error": {"message": message, "type": "invalid_request_error", "param": "temperature"}}
    fake_server.add_fault("/v1/chat", status=400, body=json.dumps(error).encode(), times=5)
    async with client_for(fake_server) as client:
        with pytest.raises(LLMRejectedError) as info:
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.2)
    text = str(info.value)
    assert "HTTP 400" in text and "'temperature'" in text and "does not support 0.2" in text
    assert fake_server.hits("/v1/chat") == 1


async def test_json_schema_refused_falls_back_to_json_mode(fake_server):
    error = {"error": {"message": "response_format json_schema is not supported"}}
    fake_server.add_fault("/v1/chat", status=400, body=json.dumps(error).encode())
    fake_server.enqueue_chat('{"problem": "p", "ideas": ["a", "b", "c"]}')
    async with client_for(fake_server) as client:
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=10, temperature=0.0)
        assert client.structured == "json_object"
    assert result.content.startswith('{"problem"')
    formats = [b["response_format"]["type"] for b in fake_server.chat_requests()]
    assert formats == ["json_schema", "json_object"]


async def test_context_length_400_is_a_per_paper_error(fake_server):
    error = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens.",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    fake_server.add_fault("/v1/chat", status=400, body=json.dumps(error).encode())
    async with client_for(fake_server) as client:
        with pytest.raises(LLMError, match="too long") as info:
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert not isinstance(info.value, LLMRejectedError)


async def test_401_says_authentication_failed_without_the_key(fake_server, caplog):
    caplog.set_level(logging.DEBUG)
    # OpenAI's real 401 echoes part of the key; we must not pass it on.
    error = {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": "invalid_key"}}
    fake_server.add_fault("/v1/chat", status=401, body=json.dumps(error).encode(), times=5)
    async with client_for(fake_server) as client:
        with pytest.raises(LLMAuthenticationError) as info:
            await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert "authentication failed (HTTP 401)" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in caplog.text
    assert fake_server.hits("/v1/chat") == 1


async def test_concurrency_is_bounded(fake_server):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def responder(request: dict[str, Any]) -> str:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return "{}"

    fake_server.responder = responder
    async with client_for(fake_server, concurrency=2) as client:
        calls = [
            client.complete(MESSAGES, schema=None, max_tokens=5, temperature=0.0) for _ in range(6)
        ]
        results = await asyncio.gather(*calls)
    assert [r.content for r in results] == ["{}"] * 6
    assert state["peak"] == 2


async def test_requests_per_minute_are_bounded(fake_server):
    async with client_for(fake_server, rpm=2) as client:
        tasks = [
            asyncio.create_task(
                client.complete(MESSAGES, schema=None, max_tokens=5, temperature=0.0)
            )
            for _ in range(3)
        ]
        done, pending = await asyncio.wait(tasks, timeout=1.0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    # 2 per minute: the third request waits ~30 s for the bucket, so it is not sent yet.
    assert (len(done), len(pending)) == (2, 1)
    assert fake_server.hits("/v1/chat") == 2


# -- FakeLLM -------------------------------------------------------------------------------


async def test_fake_llm_scripts_and_records():
    fake = FakeLLM(model="m")
    fake.enqueue({"a": "ü"}, prompt_tokens=10, completion_tokens=0)
    fake.enqueue("cut", finish_reason="length")
    fake.enqueue_error(LLMRateLimitedError("slow down", retry_after=1))
    first = await fake.complete(MESSAGES, schema=SCHEMA, max_tokens=7, temperature=0.1)
    assert first == ChatResult('{"a": "ü"}', "stop", 10, 0)
    second = await fake.complete(MESSAGES, schema=None, max_tokens=7, temperature=0.1)
    assert (second.content, second.finish_reason) == ("cut", "length")
    assert second.prompt_tokens > 0 and second.completion_tokens > 0
    with pytest.raises(LLMRateLimitedError):
        await fake.complete(MESSAGES, schema=None, max_tokens=7, temperature=0.1)
    with pytest.raises(LLMError, match="no answer enqueued"):
        await fake.complete(MESSAGES, schema=None, max_tokens=7, temperature=0.1)
    assert len(fake.requests) == 4
    assert fake.requests[0].schema == SCHEMA and fake.requests[0].max_tokens == 7
    assert fake.requests[0].messages == MESSAGES and fake.pending == 0
