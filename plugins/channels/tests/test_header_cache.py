"""Reading inbound mail keeps parsed header values for the next read: a message reads the same
whatever was read before it, and a sender's giant headers are not kept."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest
from crmkit_channels.mail_parsing import LONGEST_KEPT, POLICY, parse
from crmkit_channels.settings import MailInSettings

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "email" / "cpython_test_email"
LIMITS = MailInSettings(domains=["crm.acme.example"])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/data is not here")
def test_a_message_reads_the_same_whatever_was_read_before() -> None:
    raws = [path.read_bytes() for path in sorted(CORPUS.iterdir()) if path.is_file()]
    assert len(raws) > 20
    forwards = [parse(raw, "someone@example.org", LIMITS) for raw in raws]
    backwards = [parse(raw, "someone@example.org", LIMITS) for raw in reversed(raws)]
    assert forwards == backwards[::-1]


def giant(letter: str) -> bytes:
    message = MimeMessage()
    message["From"] = "Grace Hopper <grace@example.org>"
    message["Subject"] = "Re: " + " ".join([letter * 9] * (LONGEST_KEPT // 9))
    message.set_content("Hello")
    return message.as_bytes()


def test_a_giant_header_is_read_but_not_kept() -> None:
    kept = POLICY.header_factory._kept  # type: ignore[attr-defined]
    first = parse(giant("a"), "grace@example.org", LIMITS)
    size = kept.cache_info().currsize
    second = parse(giant("b"), "grace@example.org", LIMITS)
    assert (first.subject[:13], second.subject[:13]) == ("Re: aaaaaaaaa", "Re: bbbbbbbbb")
    assert len(second.subject) > LONGEST_KEPT
    assert second.sender == "grace@example.org"
    assert kept.cache_info().currsize == size  # the other headers were kept already
