"""AnthropicClient over loopback: a threaded server speaking the Anthropic Messages wire format."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any

import pytest
from pydantic import SecretStr

pytest.importorskip(
    "anthropic", reason="the anthropic SDK is not installed: pip install 'dailypapers[anthropic]'"
)

from dailypapers.config import Settings
from dailypapers.errors import LLMError, LLMRejectedError, UsageError
from dailypapers.llm import (
    AnthropicClient,
    LLMAuthenticationError,
    LLMConfig,
    OpenAICompatibleClient,
    make_client,
    resolve_llm,
)
from dailypapers.llm.anthropic import finish_reason, to_messages_api
from dailypapers.models import Paper
from dailypapers.summarize import summarize
from dailypapers.templates import FieldSpec, load_template, output_model, output_schema

KEY = "sk-ant-test-SECRET-0d9e4b7a31"
MODEL = "claude-sonnet-4-6"
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
ANSWER = {"problem": "Fine-tuning forgets.", "ideas": ["a", "b", "c"]}
MESSAGES = [
    {"role": "system", "content": "Answer in English as JSON."},
    {"role": "user", "content": "<<<PAPER\nA paper about things.\nPAPER>>>"},
]

# -- the loopback Anthropic Messages API ---------------------------------------------------

Reply = tuple[int, dict[str, str], dict[str, Any]]


@dataclass
class Seen:
    """One request the server received, and the status it answered."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0


def _bearer(headers: dict[str, str]) -> str | None:
    """The key of ``Authorization: Bearer KEY`` (SDK 2.x sends it so; 0.x/1.x send x-api-key)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return status, headers or {}, {"type": "error", "error": {"type": kind, "message": message}}


def _message(request: dict[str, Any], content: list[dict[str, Any]], stop: str) -> Reply:
    prompt = len(json.dumps(request)) // 4
    return (
        200,
        {},
        {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": request["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": len(json.dumps(content)) // 4},
        },
    )


class AnthropicServer:
    """``POST /v1/messages`` on 127.0.0.1: checks the headers and body the API requires, then
    answers from a script (``tool_use``, ``text``, ``error``), recording every request."""

    def __init__(self, key: str = KEY) -> None:
        self.key = key
        self.script: deque[Callable[[dict[str, Any]], Reply]] = deque()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AnthropicServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def tool_use(self, answer: dict[str, Any], stop: str = "tool_use") -> None:
        """Answer with the forced tool, its input ``answer``."""

        def reply(request: dict[str, Any]) -> Reply:
            name = request["tool_choice"]["name"]
            block = {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": name}
            return _message(request, [{**block, "input": answer}], stop)

        self.script.append(reply)

    def text(self, text: str, stop: str = "end_turn") -> None:
        self.script.append(
            lambda request: _message(request, [{"type": "text", "text": text}], stop)
        )

    def error(self, status: int, kind: str, message: str, **headers: str) -> None:
        self.script.append(lambda request: _error(status, kind, message, headers))

    def _answer(self, seen: Seen) -> Reply:
        if seen.path != "/v1/messages":
            return _error(404, "not_found_error", f"no route {seen.path}")
        if self.key not in (seen.headers.get("x-api-key"), _bearer(seen.headers)):
            return _error(401, "authentication_error", "invalid x-api-key")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", seen.headers.get("anthropic-version", "")):
            return _error(400, "invalid_request_error", "anthropic-version: header is required")
        body = seen.body
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return _error(400, "invalid_request_error", f"{name}: Field required")
        roles = [m.get("role") for m in body["messages"]]
        if not roles or roles[0] != "user" or any(a == b for a, b in pairwise(roles)):
            return _error(400, "invalid_request_error", "messages: roles must alternate")
        with self._lock:
            step = self.script.popleft() if self.script else None
        if step is None:
            return _error(500, "api_error", "nothing scripted")
        return step(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                seen = Seen(self.path, headers, body)
                status, extra, payload = server._answer(seen)
                seen.status = status
                with server._lock:
                    server.requests.append(seen)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[AnthropicServer]:
    srv = AnthropicServer().start()
    yield srv
    srv.stop()


def config_for(server: AnthropicServer, **kw: Any) -> LLMConfig:
    base: dict[str, Any] = {
        "provider": "anthropic",
        "base_url": server.url,
        "model": MODEL,
        "api_key": SecretStr(KEY),
        "timeout": 5.0,
        "max_retries": 3,
    }
    base.update(kw)
    return LLMConfig(**base)


def client_for(server: AnthropicServer, **kw: Any) -> AnthropicClient:
    return AnthropicClient(config_for(server, **kw), wait_initial=0.01, wait_max=0.05)


# -- pure mapping --------------------------------------------------------------------------


def test_messages_map_to_system_and_alternating_turns():
    system, turns = to_messages_api(
        [
            {"role": "system", "content": "Rules."},
            {"role": "system", "content": [{"type": "text", "text": "More rules."}]},
            {"role": "user", "content": "Paper."},
            {"role": "assistant", "content": "{bad"},
            {"role": "user", "content": "Problem one."},
            {"role": "user", "content": "Problem two."},
        ]
    )
    assert system == "Rules.\n\nMore rules."
    assert turns == [
        {"role": "user", "content": "Paper."},
        {"role": "assistant", "content": "{bad"},
        {"role": "user", "content": "Problem one.\n\nProblem two."},
    ]
    assert to_messages_api([{"role": "user", "content": "x"}]) == (
        None,
        [{"role": "user", "content": "x"}],
    )


def test_stop_reasons_map_to_finish_reasons():
    assert [finish_reason(s) for s in ("max_tokens", "end_turn", "tool_use", None)] == [
        "length",
        "stop",
        "stop",
        "unknown",
    ]
    assert finish_reason("refusal") == "content_filter"


# -- provider selection --------------------------------------------------------------------


def test_anthropic_key_is_detected_after_the_others(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("DAILYPAPERS_") or name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    config = resolve_llm(Settings(), env={"ANTHROPIC_API_KEY": KEY})
    assert config is not None
    assert (config.provider, config.base_url, config.model) == (
        "anthropic",
        "https://api.anthropic.com",
        MODEL,
    )
    assert config.key_var == "ANTHROPIC_API_KEY"
    config = resolve_llm(Settings(), env={"ANTHROPIC_API_KEY": KEY, "DEEPSEEK_API_KEY": "d"})
    assert config is not None and config.provider == "deepseek"


async def test_make_client_picks_the_sdk(server):
    client = make_client(config_for(server))
    assert isinstance(client, AnthropicClient) and KEY not in repr(client)
    await client.aclose()
    other = make_client(config_for(server, provider="custom", base_url=f"{server.url}/v1"))
    assert isinstance(other, OpenAICompatibleClient)
    await other.aclose()


def test_missing_sdk_is_a_usage_error_with_the_install_hint(server, monkeypatch):
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(UsageError, match=re.escape("pip install 'dailypapers[anthropic]'")):
        make_client(config_for(server))


# -- the wire protocol ---------------------------------------------------------------------


async def test_schema_goes_out_as_the_forced_tool_and_the_answer_parses(server):
    server.tool_use(ANSWER)
    async with client_for(server) as client:
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=1234, temperature=0.3)
    assert json.loads(result.content) == ANSWER
    assert result.finish_reason == "stop"
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    [seen] = server.requests
    assert (seen.path, seen.status) == ("/v1/messages", 200)
    assert KEY in (seen.headers.get("x-api-key"), _bearer(seen.headers))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", seen.headers["anthropic-version"])
    body = seen.body
    assert body["model"] == MODEL
    assert body["max_tokens"] == 1234 and "temperature" not in body  # removed from the API
    assert body["system"] == "Answer in English as JSON."
    assert body["messages"] == [MESSAGES[1]]
    [tool] = body["tools"]
    assert (tool["name"], tool["input_schema"]) == ("DigestOutput", SCHEMA)
    assert body["tool_choice"] == {"type": "tool", "name": "DigestOutput"}
    assert KEY not in json.dumps(body)


async def test_without_a_schema_no_tool_and_text_comes_back(server):
    server.text('{"ok": true}')
    async with client_for(server) as client:
        result = await client.complete(MESSAGES, schema=None, max_tokens=10, temperature=0.0)
    assert (result.content, result.finish_reason) == ('{"ok": true}', "stop")
    assert "tools" not in server.requests[0].body
    assert "tool_choice" not in server.requests[0].body


async def test_max_tokens_stop_is_length(server):
    server.tool_use({"problem": "cut"}, stop="max_tokens")
    async with client_for(server) as client:
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=5, temperature=0.0)
    assert result.finish_reason == "length"


async def test_401_is_an_authentication_error_without_the_key(server):
    wrong = "sk-ant-WRONG-77f1c2d9e0"
    async with client_for(server, api_key=SecretStr(wrong)) as client:
        with pytest.raises(LLMAuthenticationError) as info:
            await client.complete(MESSAGES, schema=SCHEMA, max_tokens=10, temperature=0.0)
    message = str(info.value)
    assert "HTTP 401" in message and "ANTHROPIC_API_KEY" in message
    assert wrong not in message and KEY not in message
    assert [r.status for r in server.requests] == [401]  # not retried


async def test_429_with_retry_after_is_retried_then_ok(server):
    server.error(
        429,
        "rate_limit_error",
        "Number of requests has exceeded your rate limit",
        **{"retry-after": "1"},
    )
    server.tool_use(ANSWER)
    async with client_for(server) as client:
        started = time.monotonic()
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=10, temperature=0.0)
        waited = time.monotonic() - started
    assert json.loads(result.content) == ANSWER
    assert [r.status for r in server.requests] == [429, 200]
    assert client.calls == 2
    # wait_max is 0.05 s here, so a wait of ~1 s can only come from the retry-after header.
    assert waited >= 0.95


async def test_overloaded_529_is_retried_then_ok(server):
    server.error(529, "overloaded_error", "Overloaded")
    server.tool_use(ANSWER)
    async with client_for(server) as client:
        result = await client.complete(MESSAGES, schema=SCHEMA, max_tokens=10, temperature=0.0)
    assert json.loads(result.content) == ANSWER
    assert [r.status for r in server.requests] == [529, 200]


async def test_400_about_a_parameter_is_rejected_once(server):
    server.error(
        400,
        "invalid_request_error",
        f"max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens "
        f"for {MODEL}",
    )
    async with client_for(server) as client:
        with pytest.raises(LLMRejectedError, match="parameter 'max_tokens'"):
            await client.complete(MESSAGES, schema=SCHEMA, max_tokens=100000, temperature=0.0)
    assert len(server.requests) == 1


async def test_400_prompt_too_long_is_a_per_paper_error(server):
    server.error(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum")
    async with client_for(server) as client:
        with pytest.raises(LLMError, match="too long") as info:
            await client.complete(MESSAGES, schema=SCHEMA, max_tokens=10, temperature=0.0)
    assert not isinstance(info.value, LLMRejectedError)


# -- summarize() end to end ----------------------------------------------------------------

ENGLISH = (
    "The paper proposes entropy-adaptive fine-tuning, which reduces catastrophic forgetting "
    "when large language models are tuned on new domains."
)


def fill(fields: list[FieldSpec]) -> dict[str, Any]:
    """A valid English answer for any template's fields."""
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.type == "group":
            out[spec.name] = fill(spec.fields)
        elif spec.type == "keywords":
            out[spec.name] = ["Fine-tuning", "LLM", "Entropy", "SFT", "Qwen"][: spec.min_len or 3]
        elif spec.type == "list":
            out[spec.name] = [ENGLISH] * (spec.min_len or min(3, spec.max_len or 3))
        else:
            out[spec.name] = ENGLISH
    return out


async def test_summarize_end_to_end_with_digest_en(server):
    template = load_template("digest-en")
    good = fill(template.fields)
    paper = Paper(
        id="2601.02151",
        title="Entropy-Adaptive Fine-Tuning: Resolving Confident Conflicts",
        authors=["Muxi Diao", "Lele Yang"],
        abstract="Supervised Fine-Tuning (SFT) is the standard paradigm ...",
        published_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    server.tool_use({"main_problem": "cut"}, stop="max_tokens")  # truncated: one re-ask
    server.tool_use(good)
    async with client_for(server) as client:
        summary = await summarize(
            paper,
            "## Abstract\n\nWe propose EAFT, evaluated on Qwen and GLM models from 4B to 32B.",
            template,
            client,
            max_reasks=2,
            max_tokens=2048,
            temperature=0.2,
            text_hash="abc",
        )
    assert summary.ok, summary.error
    assert summary.fields == output_model(template).model_validate(good).model_dump()
    assert summary.llm_calls == 2 and summary.model == MODEL
    assert summary.prompt_tokens > 0 and summary.completion_tokens > 0
    assert summary.cost_usd is not None and summary.cost_usd > 0
    first, second = (r.body for r in server.requests)
    assert first["tools"][0]["input_schema"] == output_schema(template)
    assert first["tool_choice"] == {"type": "tool", "name": first["tools"][0]["name"]}
    assert "JSON" in first["system"] and "<<<PAPER" in first["messages"][0]["content"]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert "cut off" in second["messages"][2]["content"]
