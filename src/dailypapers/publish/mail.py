"""E-mail delivery: the ``mailto:`` target, the message (text + HTML parts) and the SMTP session.

Target syntax (the part after ``mailto:``)::

    to@example.org[,other@example.org]?smtp=HOST[:PORT]&security=starttls|ssl|none
        &from=sender@example.org[&subject=...]

``security`` defaults to ``starttls`` (port 587); ``ssl`` is implicit TLS (port 465); ``none`` is
plain SMTP (port 25) and is refused with a password unless the server is on loopback. The login
comes from ``DAILYPAPERS_SMTP_USER`` / ``DAILYPAPERS_SMTP_PASSWORD`` (no login when unset); the
sender defaults to ``DAILYPAPERS_SMTP_FROM``, else the user if it is an address. Certificates
are checked against the system's store (``SSL_CERT_FILE`` points elsewhere).

Sending uses the standard library's :mod:`smtplib` (blocking; the caller runs it in a thread).
Errors are :class:`MailError` with ``transient`` telling whether another try may help.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from .redact import is_loopback

__all__ = ["MailError", "MailTarget", "build_message", "parse_mailto", "send_message"]

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9.\-\[\]:]+$")


class MailError(Exception):
    """Sending failed; ``transient`` says whether trying again later may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class MailTarget:
    recipients: tuple[str, ...]
    host: str
    port: int
    security: Security
    sender: str | None
    subject: str | None = None

    @property
    def display(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mailto:{','.join(self.recipients)}?smtp={host}:{self.port}"


def _address(value: str, what: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(f"{what} is not an e-mail address: {value[:80]!r}")
    return value


def parse_mailto(spec: str) -> MailTarget:
    """Parse the part after ``mailto:``; raises ValueError with a one-line reason."""
    to_part, _, query = spec.partition("?")
    recipients = tuple(_address(unquote(a), "recipient") for a in to_part.split(",") if a.strip())
    if not recipients:
        raise ValueError("mailto: needs at least one recipient")
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    unknown = set(params) - {"smtp", "security", "from", "subject"}
    if unknown:
        raise ValueError(f"mailto: unknown parameter {sorted(unknown)[0]!r}")
    security = params.get("security", "starttls").lower()
    if security not in DEFAULT_PORTS:
        raise ValueError("mailto: security must be starttls, ssl or none")
    server = params.get("smtp", "")
    if not server:
        raise ValueError("mailto: needs smtp=HOST[:PORT]")
    try:
        parts = urlsplit(f"//{server}")
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"mailto: bad smtp server {server[:80]!r}") from None
    if not host or parts.username or parts.path:
        raise ValueError(f"mailto: bad smtp server {server[:80]!r}")
    sender = _address(params["from"], "from") if params.get("from") else None
    subject = params.get("subject") or None
    if subject is not None and ("\n" in subject or "\r" in subject):
        raise ValueError("mailto: subject must be one line")
    return MailTarget(
        recipients=recipients,
        host=host,
        port=port or DEFAULT_PORTS[security],
        security=security,  # type: ignore[arg-type]
        sender=sender,
        subject=subject,
    )


def build_message(
    target: MailTarget, *, sender: str, subject: str, text: str, html: str
) -> EmailMessage:
    """A multipart/alternative message: the text part first, the HTML part preferred."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = ", ".join(target.recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _reply(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error
    detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return f"{exc.smtp_code} {' '.join(detail.split())[:160]}".strip()


def send_message(
    target: MailTarget,
    message: EmailMessage,
    *,
    user: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Connect, secure, log in (if a user is given) and send; raises :class:`MailError`."""
    if user and target.security == "none" and not is_loopback(target.host):
        raise MailError(
            "refusing to send the SMTP password over an unencrypted connection "
            "(use security=starttls or ssl)",
            transient=False,
        )
    context = ssl.create_default_context()
    sender = str(message["From"])
    try:
        client: smtplib.SMTP
        if target.security == "ssl":
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            client.ehlo()
            if target.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if user:
                client.login(user, password or "")
            refused = client.send_message(
                message, from_addr=sender, to_addrs=list(target.recipients)
            )
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP login refused: {_reply(exc)}", transient=False) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"SMTP server does not support this: {exc}", transient=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        who = ", ".join(sorted(exc.recipients))
        raise MailError(f"SMTP server refused every recipient: {who}", transient=False) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP error {_reply(exc)}", transient=exc.smtp_code < 500) from None
    except smtplib.SMTPServerDisconnected:
        raise MailError("SMTP server closed the connection", transient=True) from None
    except ssl.SSLCertVerificationError as exc:
        message_text = exc.verify_message or "certificate verify failed"
        raise MailError(f"TLS certificate not trusted: {message_text}", transient=False) from None
    except ssl.SSLError as exc:
        raise MailError(f"TLS error: {exc.reason or exc}", transient=True) from None
    except TimeoutError:
        raise MailError("SMTP server timed out", transient=True) from None
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP error: {exc}", transient=True) from None
    except OSError as exc:
        raise MailError(
            f"cannot reach SMTP server: {exc.strerror or exc.__class__.__name__}",
            transient=True,
        ) from None
    if refused:
        who = ", ".join(sorted(refused))
        raise MailError(f"SMTP server refused some recipients: {who}", transient=False)
