"""The outbox: every message to a citizen goes through here and is never silently dropped.

Backends: ``file`` writes one RFC 5322 ``.eml`` file per message under the outbox folder (development and
tests), ``console`` prints it, ``smtp`` sends it. Text messages to mobile numbers use the same outbox with
an ``sms:`` recipient so that a deployment can route them to its SMS gateway.
"""

from __future__ import annotations

import smtplib
import sys
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app


class OutboxError(RuntimeError):
    """A message could not be handed to the configured backend."""


def build_message(recipient: str, subject: str, body: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="logbook.localhost")
    message.set_content(body)
    return message


def send(recipient: str, subject: str, body: str) -> EmailMessage:
    """Hand a message to the configured backend; raise OutboxError if it cannot be delivered."""
    config = current_app.config
    message = build_message(recipient, subject, body, config["MAIL_SENDER"])
    backend = config["MAIL_BACKEND"]
    if backend == "file":
        _write_to_folder(Path(config["MAIL_OUTBOX_DIR"]), message)
    elif backend == "console":
        print(message.as_string(), file=sys.stderr, flush=True)
    elif backend == "smtp":
        _send_by_smtp(config, message)
    else:
        raise OutboxError(f"unknown mail backend {backend!r}")
    return message


def send_text(phone_number: str, body: str) -> EmailMessage:
    """A text message, routed through the outbox with an ``sms:`` recipient."""
    return send(f"sms:{phone_number}", "Text message", body)


def _write_to_folder(folder: Path, message: EmailMessage) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    try:
        (folder / name).write_bytes(bytes(message))
    except OSError as error:
        raise OutboxError(f"cannot write to outbox {folder}: {error}") from error


def _send_by_smtp(config: dict[str, Any], message: EmailMessage) -> None:
    if not config.get("SMTP_HOST"):
        raise OutboxError("LOGBOOK_MAIL_BACKEND=smtp needs SMTP_HOST")
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise OutboxError(f"SMTP delivery failed: {error}") from error


def read_outbox(folder: Path) -> list[EmailMessage]:
    """Messages in a file outbox, oldest first (used by tests and the demo)."""
    from email import policy
    from email.parser import BytesParser

    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]  # type: ignore[misc]
