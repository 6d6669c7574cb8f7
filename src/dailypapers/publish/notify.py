"""Delivery: send a written digest (or a short version with a link) to where people read.

:func:`deliver` sends to every target at once, each on its own: a failure is retried with
exponential backoff (honouring ``Retry-After`` on 429), then reported as a
``DeliveryResult(ok=False, reason=...)``; it never raises for one target. The caller turns any
failure into :class:`~dailypapers.errors.PublishError` (exit code 4) after the digest is written;
:func:`raise_for_failures` does that. :func:`validate_targets` checks targets before a run.

Targets (``--notify TARGET``, repeatable)::

    mailto:to@x.org[,b@y.org]?smtp=HOST[:PORT]&security=starttls|ssl|none&from=me@x.org
        e-mail, HTML + text parts; login from DAILYPAPERS_SMTP_USER / DAILYPAPERS_SMTP_PASSWORD
    slack:https://hooks.slack.com/services/...     Slack incoming webhook, {"text": mrkdwn}
    discord:https://discord.com/api/webhooks/...   Discord webhook, {"content": ≤ 2000 chars}
    telegram:CHAT_ID                               Telegram bot sendMessage (HTML, ≤ 4096 chars);
        token from DAILYPAPERS_TELEGRAM_TOKEN; API base DAILYPAPERS_TELEGRAM_API
        (default https://api.telegram.org)
    webhook:https://example.org/hook               generic JSON (schema dailypapers.notify/1)
    apprise:SERVICE-URL                            any apprise service (pip install
        'dailypapers[apprise]')

HTTP targets must be https (plain http only to a loopback address). Secrets (tokens, passwords,
the paths and queries of webhook URLs) are replaced by ``***`` in every result, log line and
message. See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2

from ..errors import PublishError, UsageError
from ..models import Digest
from . import brief, mail
from .redact import LOG_REDACTOR, is_loopback, redact
from .sanitize import markdown_to_html

__all__ = ["CHANNELS", "DeliveryResult", "deliver", "raise_for_failures", "validate_targets"]

log = logging.getLogger("dailypapers.notify")

CHANNELS = ("mailto", "slack", "discord", "telegram", "webhook", "apprise")
TELEGRAM_API = "https://api.telegram.org"
MAX_RETRY_AFTER = 300.0
_CHAT_ID = re.compile(r"^(?:-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_SECRET_ENV = ("DAILYPAPERS_TELEGRAM_TOKEN", "DAILYPAPERS_SMTP_PASSWORD")
_PUBLIC_SEGMENTS = {"services", "webhooks", "webhook", "hooks"}


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one target; ``target`` has its secrets replaced by ``***``."""

    target: str
    channel: str
    ok: bool
    reason: str | None = None
    attempts: int = 0


class _Failure(Exception):
    def __init__(self, reason: str, *, transient: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after


@dataclass
class _Target:
    channel: str
    spec: str
    display: str
    secrets: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


def _http_target(channel: str, url: str) -> _Target:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"{channel}: not a URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{channel}: needs an https:// URL")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(f"{channel}: plain http is only allowed to a loopback address")
    shown_host = f"[{host}]" if ":" in host else host
    netloc = f"{shown_host}:{port}" if port else shown_host
    secrets = [url, parts.path, parts.query, parts.password or "", parts.username or ""]
    secrets += [s for s in parts.path.split("/") if len(s) >= 8 and s not in _PUBLIC_SEGMENTS]
    secrets += [value for _, value in parse_qsl(parts.query)]
    # Keep the fixed, well-known first path segments readable (services/, api/webhooks/).
    known = {"slack": "/services", "discord": "/api/webhooks"}.get(channel, "")
    path = known if known and parts.path.startswith(known + "/") else ""
    hidden = "/***" if parts.path.strip("/") or parts.query else ""
    display = f"{channel}:{parts.scheme}://{netloc}{path}{hidden}"
    return _Target(channel, url, display, [s for s in secrets if s])


def _parse(target: str) -> _Target:
    """Split ``CHANNEL:SPEC``; raises ValueError whose message holds no secret."""
    channel, sep, spec = target.partition(":")
    channel = channel.strip().lower()
    if not sep or channel not in CHANNELS:
        raise ValueError(f"unknown notify target (use one of: {', '.join(CHANNELS)})")
    if not spec:
        raise ValueError(f"{channel}: missing the part after '{channel}:'")
    if channel == "mailto":
        parsed = mail.parse_mailto(spec)
        return _Target(channel, spec, parsed.display)
    if channel in ("slack", "discord", "webhook"):
        return _http_target(channel, spec)
    if channel == "telegram":
        if not _CHAT_ID.match(spec):
            raise ValueError("telegram: chat id must be a number or @channelname")
        return _Target(channel, spec, f"telegram:{spec}")
    scheme = spec.partition("://")[0].lower()
    scheme = scheme if "://" in spec and re.fullmatch(r"[a-z][a-z0-9+.-]{0,20}", scheme) else "?"
    pieces = [p for p in re.split(r"[/:@?&=,]+", spec.partition("://")[2]) if len(p) >= 8]
    return _Target(channel, spec, f"apprise:{scheme}://***", [spec, *pieces])


def validate_targets(targets: Sequence[str]) -> None:
    """Check every target's syntax and the secrets it needs, before a run; raises UsageError."""
    for target in targets:
        try:
            parsed = _parse(target)
        except ValueError as exc:
            raise UsageError(f"--notify: {exc}") from None
        if parsed.channel == "telegram" and not os.environ.get("DAILYPAPERS_TELEGRAM_TOKEN"):
            raise UsageError("--notify telegram: set DAILYPAPERS_TELEGRAM_TOKEN")
        if parsed.channel == "apprise":
            try:
                import apprise  # noqa: F401
            except ImportError:
                raise UsageError(
                    "--notify apprise: install the extra: pip install 'dailypapers[apprise]'"
                ) from None


def raise_for_failures(results: Sequence[DeliveryResult]) -> None:
    """Raise :class:`PublishError` (exit 4) naming every failed target, if any failed."""
    failed = [r for r in results if not r.ok]
    if failed:
        what = "; ".join(f"{r.target}: {r.reason}" for r in failed)
        raise PublishError(f"delivery failed for {len(failed)} of {len(results)} targets: {what}")


# --- Sending ------------------------------------------------------------------------------------


@dataclass
class _Job:
    digest: Digest
    markdown: str
    html: str | None
    link: str | None
    timeout: float
    client: httpx2.AsyncClient
    telegram_api: str


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for holder in (data, data.get("parameters") or {}):
            if isinstance(holder, dict) and isinstance(holder.get("retry_after"), int | float):
                return max(0.0, float(holder["retry_after"]))
    return None


def _snippet(response: httpx2.Response) -> str:
    text = response.text.strip()
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        text = str(data.get("description") or data.get("message") or data.get("error") or text)
    return " ".join(text.split())[:120]


async def _post(job: _Job, url: str, payload: dict[str, Any]) -> httpx2.Response:
    try:
        response = await job.client.post(url, json=payload)
    except httpx2.TimeoutException:
        raise _Failure("timed out", transient=True) from None
    except httpx2.HTTPError as exc:
        raise _Failure(f"connection failed ({exc.__class__.__name__})", transient=True) from None
    status = response.status_code
    if status == 429:
        raise _Failure(
            "rate limited (HTTP 429)", transient=True, retry_after=_retry_after(response)
        )
    if status >= 500 or status == 408:
        raise _Failure(f"HTTP {status}", transient=True)
    if status >= 300:
        detail = _snippet(response)
        raise _Failure(f"HTTP {status}" + (f": {detail}" if detail else ""), transient=False)
    return response


async def _send_slack(target: _Target, job: _Job) -> None:
    await _post(job, target.spec, {"text": brief.slack_text(job.digest, job.link)})


async def _send_discord(target: _Target, job: _Job) -> None:
    content = brief.markdown_brief(job.digest, job.link, 2000)
    payload = {"content": content, "allowed_mentions": {"parse": []}}
    await _post(job, target.spec, payload)


async def _send_webhook(target: _Target, job: _Job) -> None:
    await _post(job, target.spec, brief.webhook_payload(job.digest, job.link))


async def _send_telegram(target: _Target, job: _Job) -> None:
    token = os.environ.get("DAILYPAPERS_TELEGRAM_TOKEN", "").strip()
    if not token:
        raise _Failure("DAILYPAPERS_TELEGRAM_TOKEN is not set", transient=False)
    target.secrets.append(token)
    if not _TOKEN.match(token):
        raise _Failure("DAILYPAPERS_TELEGRAM_TOKEN does not look like a bot token", transient=False)
    api = job.telegram_api.rstrip("/")
    try:
        _http_target("telegram", api)  # https, or http to loopback only
    except ValueError as exc:
        raise _Failure(f"Telegram API base: {exc}", transient=False) from None
    payload = {
        "chat_id": int(target.spec) if target.spec.lstrip("-").isdigit() else target.spec,
        "text": brief.telegram_html(job.digest, job.link),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    response = await _post(job, f"{api}/bot{token}/sendMessage", payload)
    try:
        answer = response.json()
    except ValueError:
        raise _Failure("Telegram answered with something else than JSON", transient=True) from None
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        raise _Failure(f"Telegram refused the message: {_snippet(response)}", transient=False)


async def _send_mail(target: _Target, job: _Job) -> None:
    parsed = mail.parse_mailto(target.spec)
    user = os.environ.get("DAILYPAPERS_SMTP_USER") or None
    password = os.environ.get("DAILYPAPERS_SMTP_PASSWORD") or None
    target.secrets += [s for s in (password,) if s]
    sender = parsed.sender or os.environ.get("DAILYPAPERS_SMTP_FROM") or None
    if sender is None:
        sender = user if user and "@" in user else "dailypapers@localhost"
    title = brief.digest_title(job.digest)
    subject = parsed.subject or f"{title} — {brief.paper_count(job.digest)}"
    text = job.markdown.rstrip() + (f"\n\nRead online: {job.link}\n" if job.link else "\n")
    html = job.html or (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>{markdown_to_html(job.markdown)}</body></html>"
    )
    message = mail.build_message(parsed, sender=sender, subject=subject, text=text, html=html)
    try:
        await asyncio.to_thread(
            mail.send_message, parsed, message, user=user, password=password, timeout=job.timeout
        )
    except mail.MailError as exc:
        raise _Failure(str(exc), transient=exc.transient) from None


def _apprise_send(url: str, title: str, body: str) -> None:
    try:
        import apprise
    except ImportError:
        raise _Failure(
            "apprise is not installed (pip install 'dailypapers[apprise]')", transient=False
        ) from None
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise _Failure("apprise does not understand this service URL", transient=False)
    if not notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN):
        raise _Failure("apprise could not deliver", transient=True)


async def _send_apprise(target: _Target, job: _Job) -> None:
    body = brief.markdown_brief(job.digest, job.link, 4000, hide_embeds=False)
    await asyncio.to_thread(_apprise_send, target.spec, brief.digest_title(job.digest), body)


_SENDERS: dict[str, Callable[[_Target, _Job], Awaitable[None]]] = {
    "mailto": _send_mail,
    "slack": _send_slack,
    "discord": _send_discord,
    "telegram": _send_telegram,
    "webhook": _send_webhook,
    "apprise": _send_apprise,
}


async def _deliver_one(raw: str, job: _Job, retries: int, backoff: float) -> DeliveryResult:
    try:
        target = _parse(raw)
    except ValueError as exc:
        channel = raw.partition(":")[0].strip().lower()
        channel = channel if channel in CHANNELS else "?"
        return DeliveryResult(f"{channel}:***", channel, False, f"bad target: {exc}", 0)
    send = _SENDERS[target.channel]
    attempt = 0
    while True:
        attempt += 1
        try:
            await send(target, job)
        except _Failure as failure:
            reason = target.redact(failure.reason)
            wait = failure.retry_after
            if wait is None:
                wait = backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
            if not failure.transient or attempt > retries or wait > MAX_RETRY_AFTER:
                if failure.transient and attempt > 1:
                    reason = f"{reason} (after {attempt} attempts)"
                log.warning("delivery to %s failed: %s", target.display, reason)
                return DeliveryResult(target.display, target.channel, False, reason, attempt)
            log.info("delivery to %s: %s; retrying in %.1fs", target.display, reason, wait)
            await asyncio.sleep(wait)
        except Exception as exc:  # a bug or a library surprise: report it, never raise
            reason = target.redact(f"unexpected {exc.__class__.__name__}: {exc}")
            log.warning("delivery to %s failed: %s", target.display, reason)
            return DeliveryResult(target.display, target.channel, False, reason, attempt)
        else:
            log.info("delivered to %s", target.display)
            return DeliveryResult(target.display, target.channel, True, None, attempt)


async def deliver(
    targets: list[str],
    digest: Digest,
    *,
    markdown: str,
    html: str | None,
    link: str | None,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 1.0,
    telegram_api: str | None = None,
) -> list[DeliveryResult]:
    """Send ``digest`` to every target concurrently; one result per target, in order.

    ``markdown`` is the full report (the e-mail's text part, and its HTML part when ``html`` is
    None); chat channels get a brief (one line per paper) with ``link`` to the full digest.
    A failed attempt is retried up to ``retries`` more times (waits ``backoff``·2ⁿ seconds, or
    the server's Retry-After). Never raises for a target.
    """
    api = telegram_api or os.environ.get("DAILYPAPERS_TELEGRAM_API") or TELEGRAM_API
    headers = {"User-Agent": "dailypapers (+https://github.com/dailypapers/dailypapers)"}
    hidden = [os.environ.get(name, "") for name in _SECRET_ENV]
    for raw in targets:
        with contextlib.suppress(ValueError):
            hidden += _parse(raw).secrets
    with LOG_REDACTOR.hiding(hidden):
        async with httpx2.AsyncClient(
            timeout=timeout, headers=headers, follow_redirects=False
        ) as client:
            job = _Job(digest, markdown, html, link, timeout, client, api)
            sends = (_deliver_one(t, job, max(0, retries), backoff) for t in targets)
            return list(await asyncio.gather(*sends))
