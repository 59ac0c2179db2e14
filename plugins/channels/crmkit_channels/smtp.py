"""One connection to the relay, reused across a batch, and what a hand-over came back with.

The SMTP transaction is driven step by step (MAIL, RCPT, DATA) rather than with
``sendmail`` so that a failure can be placed: anything before DATA means the relay
does not have the message; a lost connection during DATA, before the relay's
answer, means it may have it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr
from typing import Any

from crmkit_channels.handover import Handover
from crmkit_channels.settings import SmtpSettings


def _answer(code: int, text: bytes | str) -> str:
    message = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {message}"[:1000]


def _refusal(code: int, text: bytes | str) -> Handover:
    # 5xx is the relay's final word; 4xx (and anything odd) is worth another try.
    return Handover("failed" if 500 <= code < 600 else "retry", _answer(code, text))


class Relay:
    """An SMTP client that connects on first use and keeps the connection for the next message."""

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        # smtplib's mail() and rcpt() parse each address again to quote it: the sender is
        # quoted once here, and a recipient is a checked address (never with a display
        # name), so that quoting it is putting it in angle brackets.
        self._mail_from = f"FROM:{smtplib.quoteaddr(parseaddr(sender)[1])}"
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file)
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def hand_over(self, row: Any) -> Handover:
        """Send one email of the outbox; never raises for what the relay or the network does."""
        try:
            smtp = self._smtp or self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            # The relay's fault or the settings' (a wrong password), never the message's.
            return Handover("retry", f"cannot use the relay: {type(exc).__name__}: {exc}"[:1000])
        self._smtp = smtp
        try:
            code, text = smtp.docmd("mail", self._mail_from)
            if code != 250:
                # A refused sender is the settings' problem (TLS or a login required, the
                # From not allowed), the same for every email: retried, not failed at once.
                smtp.rset()
                return Handover("retry", _answer(code, text))
            code, text = smtp.docmd("rcpt", f"TO:<{row.recipient}>")
            if code not in (250, 251):
                smtp.rset()
                return _refusal(code, text)
        except smtplib.SMTPResponseException as exc:
            self.close()
            return _refusal(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Handover("retry", f"{type(exc).__name__}: {exc}"[:1000])
        try:
            smtp.data(row.raw.encode("ascii"))
        except smtplib.SMTPResponseException as exc:
            return _refusal(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # The message may have reached the relay before the connection broke.
            self.close()
            return Handover("unknown", f"{type(exc).__name__} during DATA: {exc}"[:1000])
        return Handover("sent")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None
