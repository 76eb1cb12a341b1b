"""Account mail (verification and password reset links) through a pluggable sender.

`SmtpMailer` when PLATFORM_SMTP_HOST is set (stdlib smtplib, in a thread), else `LogMailer`,
which writes each mail to the server log; tests put a `MemoryMailer` on `app.state.mailer` and
read its outbox. Mail is sent after the response (a background task), so how long a mail server
takes never shows in an answer.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from praisonai_platform.accounts.settings import AccountSettings

logger = logging.getLogger("praisonai_platform.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    # What the mail is about ("verify_email", "reset_password", "registration_attempt") and the
    # token it carries, if any: for tests and logs, never sent as such.
    kind: str = ""
    token: str | None = None


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class LogMailer:
    """No mail server configured: the mail goes to the server log, for the operator to pass on."""

    async def send(self, mail: Mail) -> None:
        logger.warning(
            "no SMTP server configured (PLATFORM_SMTP_HOST); mail to %s: %s\n%s",
            mail.to,
            mail.subject,
            mail.text,
        )


class MemoryMailer:
    """Keeps every mail in `outbox` (tests)."""

    def __init__(self) -> None:
        self.outbox: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.outbox.append(mail)

    def last(self, to: str, kind: str | None = None) -> Mail:
        for mail in reversed(self.outbox):
            if mail.to == to and (kind is None or mail.kind == kind):
                return mail
        raise LookupError(f"no mail to {to}")


class SmtpMailer:
    def __init__(self, settings: AccountSettings) -> None:
        self._settings = settings

    async def send(self, mail: Mail) -> None:
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, smtplib.SMTPException):
            logger.exception("could not send mail to %s (%s)", mail.to, mail.subject)

    def _send(self, mail: Mail) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.text)
        host, port, timeout = (
            settings.smtp_host or "",
            settings.smtp_port,
            settings.smtp_timeout_seconds,
        )
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)


def build_mailer(settings: AccountSettings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()
