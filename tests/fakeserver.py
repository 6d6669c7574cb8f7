"""A loopback stand-in for the Hugging Face API, arXiv and an OpenAI-compatible LLM provider.

One threaded HTTP server on 127.0.0.1 serves:

- ``GET /api/daily_papers?date=YYYY-MM-DD`` -- a day's list (bytes added with ``add_day`` or read
  from the corpus with ``serve_corpus_day``); an unknown date answers ``[]`` as HF does on weekends;
- ``GET /html/{id}`` and ``GET /pdf/{id}`` -- arXiv pages and PDFs, 404 when not added;
- ``POST /v1/chat/completions`` -- the OpenAI chat-completions wire format. Answers come from
  ``enqueue_chat`` (in order), else from ``responder`` (a function of the request JSON), else from
  a built-in responder that fills the requested JSON schema with grounded text in the asked
  language.

It misbehaves on demand: ``add_fault(prefix, status=429, headers={"Retry-After": "1"})``, a 500, a
``delay`` (a hung answer), or a ``body`` (truncated or invalid JSON), each for ``times`` requests.
Every request is logged in ``requests`` so tests can assert what was (not) asked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ChatReply", "FakeServer", "Fault", "LoggedRequest"]


@dataclass
class Fault:
    prefix: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class ChatReply:
    content: str
    finish_reason: str = "stop"
    status: int = 200


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    at: float = field(default_factory=time.monotonic)  # when it arrived

    def json(self) -> Any:
        return json.loads(self.body)


LANG_TEXT = {
    "vi": "Bài báo này nghiên cứu vấn đề và đề xuất một phương pháp mới",
    "zh": "本文研究了该问题并提出了一种新的方法",
    "en": "The paper studies the problem and proposes a new method",
}


def _detect_lang(system: str) -> str:
    lowered = system.lower()
    if "vietnamese" in lowered or "tiếng việt" in lowered:
        return "vi"
    if "chinese" in lowered or "中文" in system:
        return "zh"
    return "en"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node[part]
        return _resolve(node, root)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(options[0], root) if options else schema
    return schema


def fill_schema(schema: dict[str, Any], lang: str, words: list[str]) -> Any:
    """A value that satisfies ``schema``, with prose in ``lang`` that quotes words of the paper."""
    root = schema
    counter = iter(range(10_000))

    def sentence() -> str:
        n = next(counter)
        quoted = " ".join(words[(n * 7) % max(len(words), 1) :][:5]) if words else ""
        return f"{LANG_TEXT[lang]} ({quoted})." if quoted else f"{LANG_TEXT[lang]}."

    def build(node: dict[str, Any]) -> Any:
        node = _resolve(node, root)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return {name: build(sub) for name, sub in node.get("properties", {}).items()}
        if kind == "array":
            count = node.get("minItems") or min(node.get("maxItems") or 3, 3)
            return [build(node.get("items", {"type": "string"})) for _ in range(count)]
        if kind == "integer":
            return 1
        if kind == "number":
            return 1.0
        if kind == "boolean":
            return True
        return sentence()

    return build(schema)


class FakeServer:
    """Start with ``with FakeServer() as server:``; ``server.url`` is the base URL."""

    def __init__(self) -> None:
        self.days: dict[str, bytes] = {}
        self.html: dict[str, bytes] = {}
        self.pdf: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self.chat_queue: deque[ChatReply] = deque()
        self.responder: Callable[[dict[str, Any]], str] | None = None
        self.llm_latency = 0.0
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- content ---------------------------------------------------------------------------
    def add_day(self, day: str, body: bytes | str) -> None:
        self.days[day] = body.encode() if isinstance(body, str) else body

    def serve_corpus_day(
        self, corpus: Path, day: str, *, file: str | None = None, borrow_html: bool = False
    ) -> list[str]:
        """Serve a corpus day: its list, the corpus PDFs of its papers; returns the paper ids.

        With ``borrow_html``, the corpus's LaTeXML pages are served as the HTML of the day's
        papers that have no PDF in the corpus (in list order), so the HTML path is exercised.
        """
        path = corpus / "hf_api" / (file or f"daily_papers_{day}.json")
        body = path.read_bytes()
        self.add_day(day, body)
        ids = [entry["paper"]["id"] for entry in json.loads(body)]
        for paper_id in ids:
            for pdf in sorted((corpus / "pdf").glob(f"arxiv_{paper_id}_*.pdf")):
                self.pdf[paper_id] = pdf.read_bytes()
        if borrow_html:
            pages = sorted((corpus / "arxiv_html").rglob("*.html"))
            free = [i for i in ids if i not in self.pdf and i not in self.html]
            for paper_id, page in zip(free, pages, strict=False):
                self.html[paper_id] = page.read_bytes()
        return ids

    def add_fault(
        self,
        prefix: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        self.faults.append(Fault(prefix, status, headers or {}, body, delay, times))

    def enqueue_chat(self, content: str, finish_reason: str = "stop", status: int = 200) -> None:
        self.chat_queue.append(ChatReply(content, finish_reason, status))

    # -- log queries -----------------------------------------------------------------------
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.path.endswith("/chat/completions")]

    def hits(self, prefix: str) -> int:
        return sum(1 for r in self.requests if r.path.startswith(prefix))

    # -- serving ---------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.prefix) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple:
        if method == "GET" and path == "/api/daily_papers":
            day = (query.get("date") or [""])[0]
            return 200, {"Content-Type": "application/json"}, self.days.get(day, b"[]")
        match = re.fullmatch(r"/(html|pdf)/([^/]+?)/?", path)
        if method == "GET" and match:
            kind, paper_id = match.groups()
            store = self.html if kind == "html" else self.pdf
            if paper_id in store:
                ctype = "text/html; charset=utf-8" if kind == "html" else "application/pdf"
                return 200, {"Content-Type": ctype}, store[paper_id]
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if method == "POST" and path.endswith("/chat/completions"):
            return self._chat(json.loads(body or b"{}"))
        return 404, {"Content-Type": "text/plain"}, b"no such route"

    def _chat(self, request: dict[str, Any]) -> tuple:
        if self.llm_latency:
            time.sleep(self.llm_latency)
        with self._lock:
            reply = self.chat_queue.popleft() if self.chat_queue else None
        if reply is None:
            content = (self.responder or self.default_answer)(request)
            reply = ChatReply(content)
        if reply.status != 200:
            error = {"error": {"message": reply.content, "type": "error", "code": reply.status}}
            return reply.status, {"Content-Type": "application/json"}, json.dumps(error).encode()
        prompt_chars = sum(len(str(m.get("content", ""))) for m in request.get("messages", []))
        answer = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_chars // 4,
                "completion_tokens": len(reply.content) // 4,
                "total_tokens": prompt_chars // 4 + len(reply.content) // 4,
            },
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    @staticmethod
    def default_answer(request: dict[str, Any]) -> str:
        """Fill the requested JSON schema with grounded prose in the language the prompt asks."""
        messages = request.get("messages", [])
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        user = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
        fmt = request.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
        text = user.split("## Abstract", 1)[-1]  # quote the paper's text, not its metadata
        words = re.findall(r"[A-Za-z][A-Za-z\-]{3,}", text)[10:400]
        return json.dumps(fill_schema(schema, _detect_lang(system), words), ensure_ascii=False)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the client died mid-request: nothing was asked
                    return
                logged = LoggedRequest(
                    method,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server._lock:
                    server.requests.append(logged)
                fault = server._take_fault(parts.path)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and (fault.status is not None or fault.body is not None):
                    status = fault.status or 200
                    headers = {"Content-Type": "application/json", **fault.headers}
                    payload = fault.body if fault.body is not None else b'{"error": "fault"}'
                else:
                    status, headers, payload = server._route(
                        method, parts.path, parse_qs(parts.query), body
                    )
                logged.status = status
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler


def main() -> None:
    """Serve corpus days by hand: ``python tests/fakeserver.py 2026-01-02 2026-01-08``."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Serve corpus days on loopback.")
    parser.add_argument("days", nargs="+")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per LLM answer")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    corpus = Path(os.environ.get("DAILYPAPERS_CORPUS") or root.parent / "shared" / "corpus")
    with FakeServer() as server:
        server.llm_latency = args.latency
        for day in args.days:
            server.serve_corpus_day(corpus, day, borrow_html=True)
        print(
            f"export DAILYPAPERS_HF_ENDPOINT={server.url} DAILYPAPERS_ARXIV_ENDPOINT={server.url}"
        )
        print(
            f"# LLM: export DAILYPAPERS_LLM_BASE_URL={server.url}/v1 DAILYPAPERS_LLM_API_KEY=x "
            "DAILYPAPERS_LLM_MODEL=fake-model",
            flush=True,
        )
        threading.Event().wait()


if __name__ == "__main__":
    main()
