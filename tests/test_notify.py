"""Delivery against loopback stand-ins that check each request as the real APIs document it.

E-mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1, also over STARTTLS and implicit TLS
with a throwaway certificate and a login; Slack, Discord, Telegram and the generic webhook go to
small HTTP servers of our own that check the method, path, content type, JSON keys and length
limits, and can fail on demand. No secret may appear in a result, a reason or a log line.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import logging
import re
import socket
import ssl
import sys
import threading
import types
from collections import deque
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dailypapers.errors import PublishError, UsageError
from dailypapers.models import Digest, Paper, PaperResult, Summary
from dailypapers.publish import brief
from dailypapers.publish.notify import (
    DeliveryResult,
    deliver,
    raise_for_failures,
    validate_targets,
)

DAY = dt.date(2026, 1, 8)
SLACK_PATH = "/services/T0001ABCD/B0002EFGH/slackSecretPath12345"
DISCORD_PATH = "/api/webhooks/123456789012345678/discordSecretToken_abcdefghijkl"
TG_TOKEN = "123456789:AAHsecretTelegramTokenValue_abcdefg"
HOOK_PATH = "/ingest/hookSecretKey987654"
SECRETS = ("slackSecretPath12345", "discordSecretToken_abcdefghijkl", TG_TOKEN, "hookSecretKey")


# --- A digest -----------------------------------------------------------------------------------


def make_digest(n: int = 3, title: Callable[[int], str] | None = None) -> Digest:
    items = []
    for i in range(n):
        paper = Paper(
            id=f"2601.{i + 1:05d}",
            title=title(i) if title else f"Paper {i + 1}: sparse attention at scale",
            abstract="We study attention. It is long.",
            ai_summary="HF says this paper is about attention.",
        )
        summary = Summary(
            paper_id=paper.id,
            template="digest-en",
            language="en",
            fields={
                "tags": ["attention"],
                "main_idea": f"**Idea {i + 1}** makes attention sparse. Then more text follows.",
            },
        )
        items.append(PaperResult(paper=paper, summary=summary, outcome="summarized"))
    return Digest(
        date=DAY,
        template="digest-en",
        language="en",
        generated_at=dt.datetime(2026, 1, 9, 7, tzinfo=dt.UTC),
        items=items,
    )


MARKDOWN = "# Daily Papers 2026-01-08\n\n## Paper 1: sparse attention at scale\n\nIdea 1.\n"
LINK = "https://digests.example.org/2026/01/daily_digest_2026-01-08.html"


# --- Loopback HTTP stand-ins --------------------------------------------------------------------


class Problem(AssertionError):
    pass


Check = Callable[[str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class Stub:
    """A loopback HTTP server: checks every POST with ``check``; ``fail`` scripts answers first."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.fail: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.fail_always: tuple[int, dict[str, str], bytes] | None = None
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.problems: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                stub.requests.append((self.command, self.path, headers, body))
                try:
                    if self.command != "POST":
                        raise Problem(f"method {self.command}, expected POST")
                    if stub.fail_always is not None:
                        status, extra, payload = stub.fail_always
                    elif stub.fail:
                        status, extra, payload = stub.fail.popleft()
                    else:
                        status, extra, payload = stub.check(self.path, headers, body)
                except Problem as exc:
                    stub.problems.append(str(exc))
                    status, extra, payload = 400, {"Content-Type": "text/plain"}, b"bad request"
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json_bodies(self) -> list[Any]:
        return [json.loads(body) for _, _, _, body in self.requests]


def _json(headers: dict[str, str], body: bytes) -> Any:
    if headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Problem(f"content type {headers.get('content-type')!r}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Problem(f"not JSON: {exc}") from None


def slack_check(path: str, headers: dict[str, str], body: bytes):
    # api.slack.com/messaging/webhooks: POST JSON {"text": ...}; answers 200 "ok" as text.
    if path != SLACK_PATH:
        return 404, {"Content-Type": "text/plain"}, b"no_service"
    payload = _json(headers, body)
    if set(payload) != {"text"} or not isinstance(payload["text"], str) or not payload["text"]:
        raise Problem(f"slack keys {sorted(payload)}")
    if len(payload["text"]) > 40_000:
        raise Problem("slack text longer than 40,000 characters")
    return 200, {"Content-Type": "text/plain"}, b"ok"


DISCORD_KEYS = {"content", "username", "avatar_url", "tts", "embeds", "allowed_mentions", "flags"}


def discord_check(path: str, headers: dict[str, str], body: bytes):
    # discord.com/developers/docs/resources/webhook#execute-webhook: content ≤ 2000 characters;
    # answers 204 No Content unless ?wait=true.
    if path != DISCORD_PATH:
        return 401, {"Content-Type": "application/json"}, b'{"message": "Invalid Webhook Token"}'
    payload = _json(headers, body)
    if not set(payload) <= DISCORD_KEYS:
        raise Problem(f"discord: unknown keys {sorted(set(payload) - DISCORD_KEYS)}")
    content = payload.get("content")
    if not isinstance(content, str) or not 1 <= len(content) <= 2000:
        raise Problem(f"discord content length {len(content or '')}")
    if payload.get("allowed_mentions") != {"parse": []}:
        raise Problem("discord: mentions are not disabled")
    return 204, {}, b""


class _TelegramHTML(HTMLParser):
    # core.telegram.org/bots/api#html-style: only these tags; <a> needs href.
    ALLOWED = frozenset(
        {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            raise Problem(f"telegram: tag <{tag}> is not supported")
        if tag == "a" and not dict(attrs).get("href"):
            raise Problem("telegram: <a> without href")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise Problem(f"telegram: unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_check(path: str, headers: dict[str, str], body: bytes):
    unauthorized = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
    match = re.fullmatch(r"/bot([^/]+)/sendMessage", path)
    if not match:
        return 404, {"Content-Type": "application/json"}, b'{"ok":false,"error_code":404}'
    if match.group(1) != TG_TOKEN:
        return 401, {"Content-Type": "application/json"}, unauthorized
    payload = _json(headers, body)
    if not {"chat_id", "text"} <= set(payload):
        raise Problem("telegram: chat_id and text are required")
    if not isinstance(payload["chat_id"], int | str):
        raise Problem("telegram: chat_id must be an integer or a string")
    if payload.get("parse_mode") != "HTML":
        raise Problem("telegram: expected parse_mode HTML")
    text = payload["text"]
    # Every <, > and & that is not markup must be escaped as an entity.
    stripped = re.sub(r"</?(?:b|i|a)(?:\s+href=\"[^\"<>]*\")?>", "", text)
    if re.search(r"[<>]|&(?!(?:lt|gt|amp|quot|#\d+);)", stripped):
        raise Problem("telegram: unescaped <, > or & in HTML text")
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise Problem("telegram: unclosed tags")
    visible = "".join(parser.text)
    if not 1 <= len(visible.encode("utf-16-le")) // 2 <= 4096:
        raise Problem(f"telegram: text is {len(visible)} characters after entity parsing")
    answer = {"ok": True, "result": {"message_id": 1, "chat": {"id": payload["chat_id"]}}}
    return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


def webhook_check(path: str, headers: dict[str, str], body: bytes):
    if path != HOOK_PATH:
        return 404, {}, b""
    payload = _json(headers, body)
    expected = {"schema", "date", "title", "language", "papers", "link"}
    if set(payload) != expected:
        raise Problem(f"webhook keys {sorted(payload)}")
    for paper in payload["papers"]:
        if set(paper) != {"id", "title", "url", "summary"}:
            raise Problem(f"webhook paper keys {sorted(paper)}")
    return 200, {"Content-Type": "application/json"}, b"{}"


@pytest.fixture
def stub():
    made: list[Stub] = []

    def make(check: Check) -> Stub:
        made.append(Stub(check))
        return made[-1]

    yield make
    for server in made:
        server.close()
        assert server.problems == [], server.problems


@pytest.fixture
def telegram_env(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_TELEGRAM_TOKEN", TG_TOKEN)


async def send(targets: list[str], digest: Digest | None = None, **kwargs: Any):
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", 5)
    return await deliver(
        targets, digest or make_digest(), markdown=MARKDOWN, html=None, link=LINK, **kwargs
    )


# --- Chat and webhooks --------------------------------------------------------------------------


async def test_every_http_channel_gets_a_well_formed_request(stub, telegram_env, caplog):
    caplog.set_level(logging.DEBUG)
    slack, discord = stub(slack_check), stub(discord_check)
    telegram, hook = stub(telegram_check), stub(webhook_check)
    results = await send(
        [
            f"slack:{slack.url}{SLACK_PATH}",
            f"discord:{discord.url}{DISCORD_PATH}",
            "telegram:-1001234567890",
            f"webhook:{hook.url}{HOOK_PATH}",
        ],
        telegram_api=telegram.url,
    )
    assert [r.ok for r in results] == [True] * 4, results
    assert [r.channel for r in results] == ["slack", "discord", "telegram", "webhook"]
    assert all(r.attempts == 1 for r in results)

    text = slack.json_bodies()[0]["text"]
    assert text.startswith("*Daily Papers 2026-01-08* — 3 papers")
    assert "• <https://huggingface.co/papers/2601.00001|Paper 1: sparse attention at scale>" in text
    assert "— Idea 1 makes attention sparse." in text  # a one-liner: first sentence, no **
    assert f"<{LINK}|Read the full digest>" in text

    content = discord.json_bodies()[0]["content"]
    assert "[Paper 2: sparse attention at scale](<https://huggingface.co/papers/2601.00002>)" in (
        content
    )
    assert content.endswith(f"[Read the full digest](<{LINK}>)")

    message = telegram.json_bodies()[0]
    assert message["chat_id"] == -1001234567890
    assert '<a href="https://huggingface.co/papers/2601.00003">Paper 3' in message["text"]

    payload = hook.json_bodies()[0]
    assert payload["schema"] == "dailypapers.notify/1"
    assert payload["date"] == "2026-01-08" and payload["link"] == LINK
    assert payload["papers"][0] == {
        "id": "2601.00001",
        "title": "Paper 1: sparse attention at scale",
        "url": "https://huggingface.co/papers/2601.00001",
        "summary": "Idea 1 makes attention sparse.",
    }
    assert "HTTP Request: POST" in caplog.text  # the client's own log line is there, redacted
    for secret in SECRETS:
        assert secret not in caplog.text
        assert all(secret not in r.target for r in results)
    assert results[0].target == f"slack:{slack.url}/services/***"
    assert results[1].target == f"discord:{discord.url}/api/webhooks/***"


async def test_a_server_error_is_retried_then_delivered(stub):
    slack = stub(slack_check)
    slack.fail.append((500, {"Content-Type": "text/plain"}, b"internal_error"))
    discord = stub(discord_check)
    discord.fail.append((429, {"Retry-After": "0"}, b'{"retry_after": 0.01, "global": false}'))
    results = await send([f"slack:{slack.url}{SLACK_PATH}", f"discord:{discord.url}{DISCORD_PATH}"])
    assert [(r.ok, r.attempts) for r in results] == [(True, 2), (True, 2)]
    assert len(slack.requests) == 2 and len(discord.requests) == 2


async def test_a_server_that_keeps_failing_gives_a_reason_without_secrets(stub, caplog):
    caplog.set_level(logging.DEBUG)
    slack = stub(slack_check)
    slack.fail_always = (500, {"Content-Type": "text/plain"}, b"slackSecretPath12345 broke")
    hook = stub(webhook_check)
    results = await send(
        [f"slack:{slack.url}{SLACK_PATH}", f"webhook:{hook.url}{HOOK_PATH}"], retries=3
    )
    failed, ok = results
    assert ok.ok and not failed.ok
    assert failed.attempts == 4 and len(slack.requests) == 4
    assert failed.reason == "HTTP 500 (after 4 attempts)"
    assert "delivery to slack:" in caplog.text
    for secret in SECRETS:
        assert secret not in f"{failed}" and secret not in caplog.text
    with pytest.raises(PublishError) as raised:
        raise_for_failures(results)
    assert raised.value.exit_code == 4
    assert "1 of 2 targets" in str(raised.value) and "slackSecretPath12345" not in str(raised.value)
    raise_for_failures([ok])  # nothing failed: no error


async def test_a_client_error_is_not_retried_and_its_detail_is_reported(stub):
    discord = stub(discord_check)
    wrong = DISCORD_PATH.replace("discordSecret", "otherSecret")
    [result] = await send([f"discord:{discord.url}{wrong}"])
    assert not result.ok and result.attempts == 1
    assert result.reason == "HTTP 401: Invalid Webhook Token"
    assert "otherSecretToken" not in str(result)


async def test_telegram_wrong_token_is_refused_and_the_token_never_shows(stub, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "987654321:AAHanotherSecretTokenValue_zzzzzz"
    monkeypatch.setenv("DAILYPAPERS_TELEGRAM_TOKEN", wrong)
    telegram = stub(telegram_check)
    [result] = await send(["telegram:@dailypapers_chan"], telegram_api=telegram.url)
    assert not result.ok and result.reason == "HTTP 401: Unauthorized"
    assert telegram.requests[0][1] == f"/bot{wrong}/sendMessage"
    assert wrong not in str(result) and wrong not in caplog.text
    assert "/bot***/sendMessage" in caplog.text  # the HTTP client's log line, token redacted


async def test_telegram_without_a_token_fails_clearly(monkeypatch):
    monkeypatch.delenv("DAILYPAPERS_TELEGRAM_TOKEN", raising=False)
    [result] = await send(["telegram:12345"], telegram_api="http://127.0.0.1:9")
    assert not result.ok and result.reason == "DAILYPAPERS_TELEGRAM_TOKEN is not set"
    with pytest.raises(UsageError, match="DAILYPAPERS_TELEGRAM_TOKEN"):
        validate_targets(["telegram:12345"])


async def test_long_digests_are_cut_to_each_apis_limit(stub, telegram_env):
    digest = make_digest(80, title=lambda i: f"Paper {i} " + "with a very long title " * 6)
    discord, telegram = stub(discord_check), stub(telegram_check)
    results = await send(
        [f"discord:{discord.url}{DISCORD_PATH}", "telegram:42"],
        digest=digest,
        telegram_api=telegram.url,
    )
    assert all(r.ok for r in results), results
    content = discord.json_bodies()[0]["content"]
    assert len(content) <= 2000 and re.search(r"\*…and \d+ more\*", content)
    text = telegram.json_bodies()[0]["text"]
    assert len(text) <= 4096 and re.search(r"<i>…and \d+ more</i>", text)
    assert "Read the full digest" in content and "Read the full digest" in text


async def test_hostile_titles_are_escaped_for_each_markup(stub, telegram_env):
    evil = '<script>alert(1)</script> @everyone *bold* & <a href="x">'
    digest = make_digest(2, title=lambda i: evil)
    slack, discord, telegram = stub(slack_check), stub(discord_check), stub(telegram_check)
    results = await send(
        [f"slack:{slack.url}{SLACK_PATH}", f"discord:{discord.url}{DISCORD_PATH}", "telegram:7"],
        digest=digest,
        telegram_api=telegram.url,
    )
    assert all(r.ok for r in results), results  # the Telegram stub parsed the HTML
    slack_text = slack.json_bodies()[0]["text"]
    assert "<script>" not in slack_text and "&lt;script&gt;" in slack_text
    assert "<a href" not in slack_text
    content = discord.json_bodies()[0]["content"]
    assert "\\@everyone" in content and "\\*bold\\*" in content
    assert "&lt;script&gt;" in telegram.json_bodies()[0]["text"]


# --- Targets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("sms:+123", "unknown notify target"),
        ("slack:http://hooks.example.org/services/x", "plain http is only allowed to a loopback"),
        ("discord:ftp://127.0.0.1/x", "needs an https:// URL"),
        ("telegram:not a chat", "chat id"),
        ("mailto:nobody?smtp=127.0.0.1", "recipient is not an e-mail address"),
        ("mailto:a@example.org", "needs smtp=HOST"),
        ("mailto:a@example.org?smtp=h&security=tls", "security must be"),
    ],
)
async def test_bad_targets_are_reported_not_raised(target, reason):
    [result] = await send([target])
    assert not result.ok and result.attempts == 0
    assert reason in (result.reason or "")
    with pytest.raises(UsageError, match=re.escape(reason)):
        validate_targets([target])


def test_good_targets_validate(telegram_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", types.ModuleType("apprise"))
    validate_targets(
        [
            "mailto:a@example.org,b@example.org?smtp=smtp.example.org:587&from=me@example.org",
            "slack:https://hooks.slack.com/services/T/B/X",
            "discord:https://discord.com/api/webhooks/1/abc",
            "telegram:-100123",
            "webhook:https://example.org/hook",
            "apprise:mailtos://user:pass@example.org",
        ]
    )


async def test_apprise_missing_gives_a_clear_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise -> ImportError
    [result] = await send(["apprise:tgram://123456:ABCDEFsecret/987"])
    with pytest.raises(UsageError, match="dailypapers\\[apprise\\]"):
        validate_targets(["apprise:tgram://123456:ABCDEFsecret/987"])
    assert not result.ok and result.attempts == 1
    assert result.reason == "apprise is not installed (pip install 'dailypapers[apprise]')"
    assert result.target == "apprise:tgram://***"


async def test_apprise_gets_the_markdown_brief(monkeypatch):
    calls: list[dict[str, Any]] = []

    class Apprise:
        def add(self, url: str) -> bool:
            calls.append({"url": url})
            return True

        def notify(self, **kwargs: Any) -> bool:
            calls.append(kwargs)
            return True

    fake = types.SimpleNamespace(Apprise=Apprise, NotifyFormat=types.SimpleNamespace(MARKDOWN="md"))
    monkeypatch.setitem(sys.modules, "apprise", fake)
    [result] = await send(["apprise:ntfy://ntfy.example.org/topic"])
    assert result.ok
    assert calls[0] == {"url": "ntfy://ntfy.example.org/topic"}
    assert calls[1]["title"] == "Daily Papers 2026-01-08" and calls[1]["body_format"] == "md"
    assert (
        "[Paper 1: sparse attention at scale](https://huggingface.co/papers/2601.00001)"
        in (calls[1]["body"])
    )


def test_one_liner_falls_back_to_hf_summary_then_abstract():
    digest = make_digest(1)
    item = digest.items[0]
    assert brief.one_liner(item) == "Idea 1 makes attention sparse."
    item.summary = None
    assert brief.one_liner(item) == "HF says this paper is about attention."
    item.paper.ai_summary = None
    assert brief.one_liner(item) == "We study attention."


# --- E-mail -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    started: list[Any] = []

    def start(**kwargs: Any) -> tuple[Sink, int]:
        sink, port = Sink(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return sink, port

    yield start
    for controller in started:
        controller.stop()


def received(sink: Sink) -> email.message.EmailMessage:
    [envelope] = sink.envelopes
    return email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[return-value]


async def test_email_has_text_and_html_parts(smtp_server, monkeypatch):
    monkeypatch.delenv("DAILYPAPERS_SMTP_USER", raising=False)
    sink, port = smtp_server()
    target = (
        f"mailto:ana@example.org,bo@example.org?smtp=127.0.0.1:{port}"
        "&security=none&from=digest@example.org"
    )
    [result] = await send([target])
    assert result.ok, result
    assert result.target == f"mailto:ana@example.org,bo@example.org?smtp=127.0.0.1:{port}"
    [envelope] = sink.envelopes
    assert envelope.mail_from == "digest@example.org"
    assert envelope.rcpt_tos == ["ana@example.org", "bo@example.org"]
    message = received(sink)
    assert message["Subject"] == "Daily Papers 2026-01-08 — 3 papers"
    assert message["To"] == "ana@example.org, bo@example.org"
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "## Paper 1: sparse attention at scale" in text and f"Read online: {LINK}" in text
    assert "<h3>Paper 1: sparse attention at scale</h3>" in html


def make_cert(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = data.login == b"digest-bot" and data.password == b"s3cret-smtp-pass"
    return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_email_over_tls_with_login(smtp_server, monkeypatch, tmp_path, security):
    cert, key = make_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls: dict[str, Any] = {"tls_context": context, "require_starttls": True, "auth_required": True}
    if security == "ssl":  # implicit TLS: aiosmtpd cannot tell it is secure, so AUTH is optional
        tls = {"ssl_context": context, "auth_require_tls": False}
    sink, port = smtp_server(authenticator=authenticator, **tls)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the throwaway certificate
    monkeypatch.setenv("DAILYPAPERS_SMTP_USER", "digest-bot")
    monkeypatch.setenv("DAILYPAPERS_SMTP_PASSWORD", "s3cret-smtp-pass")
    target = f"mailto:ana@example.org?smtp=127.0.0.1:{port}&security={security}&from=d@example.org"
    [result] = await send([target])
    assert result.ok, result
    assert received(sink)["Subject"].startswith("Daily Papers 2026-01-08")

    monkeypatch.setenv("DAILYPAPERS_SMTP_PASSWORD", "wrong-password-123")
    [refused] = await send([target])
    assert not refused.ok and refused.attempts == 1  # a refused login is not retried
    assert (refused.reason or "").startswith("SMTP login refused: 535")
    assert "wrong-password-123" not in str(refused)


async def test_email_to_an_untrusted_certificate_fails(smtp_server, monkeypatch, tmp_path):
    cert, key = make_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    _, port = smtp_server(ssl_context=context)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    [result] = await send([f"mailto:a@example.org?smtp=127.0.0.1:{port}&security=ssl"])
    assert not result.ok and "TLS certificate not trusted" in (result.reason or "")


async def test_email_password_is_never_sent_in_clear_to_a_remote_server(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_SMTP_USER", "bot")
    monkeypatch.setenv("DAILYPAPERS_SMTP_PASSWORD", "pw-1234")
    [result] = await send(["mailto:a@example.org?smtp=smtp.example.org:25&security=none"])
    assert not result.ok and result.attempts == 1
    assert "unencrypted" in (result.reason or "")


async def test_an_unreachable_smtp_server_is_retried_then_reported():
    port = free_port()  # nothing listens there
    [result] = await send([f"mailto:a@example.org?smtp=127.0.0.1:{port}&security=none"], retries=2)
    assert not result.ok and result.attempts == 3
    assert (result.reason or "").startswith("cannot reach SMTP server")


def test_delivery_result_is_a_plain_record():
    result = DeliveryResult("slack:https://hooks.slack.com/services/***", "slack", False, "x", 2)
    assert result.ok is False and result.attempts == 2
