"""Channels benchmark: emails out through the outbox and mail in through ``mail-in``, against plain Python.

    python bench/channels.py [--messages N] [--inbound M] [--rounds R]

A sink on loopback (aiosmtpd in a process of its own, answering 250 to every
command and never parsing a message) takes every email.

**Outbound.** crmkit: a SQLite file with N customers (each with an email
address); N personalised emails are recorded with ``send`` from a template
(rendered, checked, stored: "render"), then handed to the sink by the calls the
``channels.deliver_email`` job makes, run back to back as ``crmkit worker``
would (lease, move to ``sending``, consent check, SMTP, record; over four relay
connections at once, ``smtp.connections``: "deliver"). Then the same N queued in bulk
by one ``send_many``, as a campaign queues them: all but the first wait unrendered, and
the delivery job renders each just before handing it over ("bulk"). Baseline: the same N rendered messages
(read from the outbox beforehand) sent by a plain ``smtplib`` loop over one
connection, with no database. The figures are emails/s of delivery (the part the baseline does) and
of render plus delivery, and delivery's share of the baseline.

**Inbound.** crmkit: M messages (from M/10 known customers, each with a
Message-ID, some with an attachment) sent to the ``mail-in`` server (in this
process, as ``crmkit channels mail-in`` runs it) by another process over C SMTP
connections at once (``--connections``, 4 by default: a relay delivers over
several), timed from the first ``MAIL FROM`` to the last message routed (stored,
the sender resolved, the timeline written, ``route_inbound`` asked). Baseline:
the same messages parsed with the standard library's ``email`` alone
(``policy.default``, body and attachments read).

The two take R turns each, alternating; figures are medians of the turns. Beside
each rate, the CPU time of this process per message (``time.process_time``, every
thread: the sink and the relay run in processes of their own), steadier than the
rates on a busy machine. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from _serving import free_port
from crmkit_channels import EmailMessage, send, send_many
from crmkit_channels.delivery import deliver_due
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.tables import email
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, Settings, build_party, create_party
from crmkit.testing import make_app

OUTBOUND_TARGET = 2000
"""Emails/s the delivery is to reach, and at least half of the baseline."""
OUTBOUND_SHARE_TARGET = 0.5
CONNECTIONS = 4
"""Connections to the sink crmkit's delivery hands emails over on at once (``smtp.connections``)."""
INBOUND_TARGET = 200
"""Inbound messages/s to reach."""
DOMAIN = "crm.acme.example"

SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 taken"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""

TEMPLATE = {
    "name": "statement",
    "subject": "Your statement for {{ month }}, {{ party.first_name }}",
    "text": (
        "Dear {{ party.name }},\n\nyour balance for {{ month }} is {{ balance }} EUR."
        "\n{% for line in lines %}- {{ line }}\n{% endfor %}\nKind regards,\nAcme"
    ),
    "html": (
        "<p>Dear {{ party.name }},</p><p>your balance for {{ month }} is"
        " <b>{{ balance }} EUR</b>.</p><ul>{% for line in lines %}<li>{{ line }}</li>"
        "{% endfor %}</ul><p>Kind regards,<br>Acme</p>"
    ),
}


def start_sink(directory: Path) -> tuple[subprocess.Popen[str], int]:
    (directory / "sink.py").write_text(SINK)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(directory / "sink.py"), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise SystemExit("the sink did not start")
    return process, port


def make_crm(directory: Path, sink_port: int) -> Crm:
    path = directory / f"crmkit-{time.monotonic_ns()}.db"
    channels = {
        "from_address": "Acme <billing@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": "a-benchmark-secret-of-at-least-32-characters",
        "rate_per_second": 1_000_000.0,  # the sink sets the pace, not the throttle
        "smtp": {
            "host": "127.0.0.1",
            "port": sink_port,
            "security": "none",
            "connections": CONNECTIONS,
        },
        "templates": [TEMPLATE],
        "mail_in": {"domains": [DOMAIN], "vouched": True},
    }
    return make_app(
        ["channels"],
        settings=Settings(database_url=f"sqlite:///{path}", plugin_settings={"channels": channels}),
    )


def add_customers(crm: Crm, count: int) -> list[int]:
    ids = []
    with crm.transaction(SYSTEM) as tx:
        for i in range(count):
            party = create_party(
                tx,
                build_party(
                    "customer",
                    {
                        "kind": "person",
                        "first_name": f"Ada{i}",
                        "last_name": "Lovelace",
                        "emails": [f"ada.{i}@example.org"],
                    },
                    region="DE",
                ),
            )
            assert party.id is not None
            ids.append(party.id)
    return ids


def variables(i: int) -> dict[str, Any]:
    return {
        "month": "November 2026",
        "balance": f"{i % 1000}.{i % 100:02d}",
        "lines": [f"invoice {i}-{n}" for n in range(3)],
    }


def run_outbound(
    directory: Path, sink_port: int, n: int, *, bulk: bool = False
) -> tuple[float, float, float, list[str]]:
    """Delivery emails/s, render+delivery emails/s, delivery's CPU ms per email, and the
    rendered messages for the baseline. ``bulk``: queued by one ``send_many``, which leaves
    all but the first unrendered, so that delivery renders them."""
    crm = make_crm(directory, sink_port)
    try:
        parties = add_customers(crm, n)
        messages = [
            EmailMessage(
                party_id,
                "billing",
                template="statement",
                variables=variables(i),
                transactional=True,
            )
            for i, party_id in enumerate(parties)
        ]
        started = time.perf_counter()
        with crm.transaction(SYSTEM) as tx:
            if bulk:
                send_many(tx, messages)
            else:
                for message in messages:
                    send(tx, message)
        rendered, cpu = time.perf_counter(), time.process_time()
        while deliver_due(crm):
            pass
        delivered, cpu = time.perf_counter(), time.process_time() - cpu
        with crm.read() as conn:
            counts: dict[str, int] = dict(
                conn.execute(select(email.c.status, func.count()).group_by(email.c.status)).all()
            )
            raws = list(conn.execute(select(email.c.raw).order_by(email.c.id)).scalars())
        if counts != {"sent": n}:
            raise SystemExit(f"crmkit: {counts}, expected {n} sent")
        return n / (delivered - rendered), n / (delivered - started), cpu / n * 1000, raws
    finally:
        crm.close()


def plain_smtp(sink_port: int, raws: list[str]) -> tuple[float, float]:
    """Emails/s of ``smtplib`` sending the rendered messages over one connection, and CPU ms per email."""
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", sink_port) as client:
        for i, raw in enumerate(raws):
            client.sendmail("billing@acme.example", [f"ada.{i}@example.org"], raw.encode("ascii"))
    cpu = time.process_time() - cpu
    return len(raws) / (time.perf_counter() - started), cpu / len(raws) * 1000


def inbound_messages(m: int) -> list[bytes]:
    messages = []
    for i in range(m):
        mail = MimeMessage()
        mail["From"] = f"Ada{i % max(m // 10, 1)} Lovelace <ada.{i % max(m // 10, 1)}@example.org>"
        mail["To"] = f"support@{DOMAIN}"
        mail["Subject"] = f"Question {i} about my order"
        mail["Message-ID"] = f"<bench-{time.monotonic_ns()}-{i}@example.org>"
        mail.set_content(f"Hello,\n\nwhere is order {i}? It was due last week.\n\nAda\n" * 3)
        if i % 5 == 0:
            mail.add_attachment(bytes(range(256)) * 40, "application", "pdf", filename="bill.pdf")
        messages.append(mail.as_bytes(policy=policy.SMTP))
    return messages


RELAY = """
import smtplib, sys, threading
from pathlib import Path
port, connections, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
files = sorted(folder.glob("*.eml"))
clients = [smtplib.SMTP("127.0.0.1", port) for _ in range(connections)]
print("ready", flush=True)
sys.stdin.readline()
def send(client, mine):
    for path in mine:
        client.sendmail("relay@example.org", ["support@" + sys.argv[4]], path.read_bytes())
    client.quit()
senders = [
    threading.Thread(target=send, args=(c, files[i::connections])) for i, c in enumerate(clients)
]
for s in senders:
    s.start()
for s in senders:
    s.join()
"""
"""A relay in a process of its own: C connections, each sending its share of the messages."""


def run_inbound(
    directory: Path, sink_port: int, messages: list[bytes], connections: int
) -> tuple[float, float]:
    """Messages/s through ``mail-in`` (from the first MAIL FROM to the last message routed) and
    CPU ms per message."""
    crm = make_crm(directory, sink_port)
    port = free_port()
    controller = server(crm, "127.0.0.1", port)
    controller.start()
    folder = directory / f"inbound-{time.monotonic_ns()}"
    folder.mkdir()
    for i, raw in enumerate(messages):
        (folder / f"{i:07d}.eml").write_bytes(raw)
    try:
        add_customers(crm, max(len(messages) // 10, 1))
        relay = subprocess.Popen(
            [sys.executable, "-c", RELAY, str(port), str(connections), str(folder), DOMAIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert relay.stdin is not None and relay.stdout is not None
        relay.stdout.readline()  # connected
        started, cpu = time.perf_counter(), time.process_time()
        relay.stdin.write("go\n")
        relay.stdin.flush()
        if relay.wait() != 0:
            raise SystemExit("the relay failed")
        while True:
            with crm.read() as conn:
                routed = conn.execute(
                    select(func.count()).where(inbound_email.c.status == "routed")
                ).scalar_one()
            if routed == len(messages):
                break
            time.sleep(0.01)
        cpu = time.process_time() - cpu
        return len(messages) / (time.perf_counter() - started), cpu / len(messages) * 1000
    finally:
        controller.stop()
        crm.close()


def plain_parse(messages: list[bytes]) -> float:
    """Messages/s of ``email`` alone: parsed, the text body and the attachments read."""
    parser = BytesParser(policy=policy.default)
    started = time.perf_counter()
    for raw in messages:
        message = parser.parsebytes(raw)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
        for part in message.iter_attachments():
            part.get_content()
    return len(messages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000, help="outbound emails per turn")
    parser.add_argument("--inbound", type=int, default=2_000, help="inbound messages per turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--connections", type=int, default=4, help="SMTP connections the inbound relay sends over"
    )
    args = parser.parse_args()
    n, m = args.messages, args.inbound
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        sink, sink_port = start_sink(directory)
        try:
            # Unmeasured warm-up of both paths, then alternating turns.
            _, _, _, warm = run_outbound(directory, sink_port, min(n, 200))
            plain_smtp(sink_port, warm)
            run_inbound(directory, sink_port, inbound_messages(min(m, 50)), args.connections)
            deliver_rates, total_rates, smtp_rates, in_rates, parse_rates = [], [], [], [], []
            bulk_deliver_rates, bulk_total_rates = [], []
            deliver_cpus, smtp_cpus, in_cpus = [], [], []
            for turn in range(args.rounds):
                deliver, total, deliver_cpu, raws = run_outbound(directory, sink_port, n)
                deliver_rates.append(deliver)
                total_rates.append(total)
                deliver_cpus.append(deliver_cpu)
                bulk_deliver, bulk_total, _, _ = run_outbound(directory, sink_port, n, bulk=True)
                bulk_deliver_rates.append(bulk_deliver)
                bulk_total_rates.append(bulk_total)
                smtp_rate, smtp_cpu = plain_smtp(sink_port, raws)
                smtp_rates.append(smtp_rate)
                smtp_cpus.append(smtp_cpu)
                messages = inbound_messages(m)
                parse_rates.append(plain_parse(messages))
                in_rate, in_cpu = run_inbound(directory, sink_port, messages, args.connections)
                in_rates.append(in_rate)
                in_cpus.append(in_cpu)
                print(
                    f"turn {turn + 1}: deliver {deliver:,.0f}/s, {deliver_cpu:.2f} ms CPU each"
                    f" (render+deliver {total:,.0f}/s; bulk: render at delivery"
                    f" {bulk_deliver:,.0f}/s, queue+render+deliver {bulk_total:,.0f}/s),"
                    f" plain smtplib {smtp_rate:,.0f}/s,"
                    f" {smtp_cpu:.2f} ms CPU each; mail-in {in_rate:,.0f}/s, {in_cpu:.2f} ms CPU"
                    f" each, plain email parse {parse_rates[-1]:,.0f}/s",
                    flush=True,
                )
        finally:
            assert sink.stdin is not None
            sink.stdin.close()
            sink.wait()
    deliver_rate = statistics.median(deliver_rates)
    total_rate = statistics.median(total_rates)
    smtp_rate = statistics.median(smtp_rates)
    share = statistics.median(a / b for a, b in zip(deliver_rates, smtp_rates, strict=True))
    in_rate = statistics.median(in_rates)
    parse_rate = statistics.median(parse_rates)
    in_share = statistics.median(a / b for a, b in zip(in_rates, parse_rates, strict=True))
    deliver_cpu, smtp_cpu, in_cpu = map(statistics.median, (deliver_cpus, smtp_cpus, in_cpus))
    outbound_ok = deliver_rate >= OUTBOUND_TARGET and share >= OUTBOUND_SHARE_TARGET
    print(f"outbound: {n} emails per turn; inbound: {m} messages per turn; {args.rounds} turns")
    print(
        f"crmkit delivery job (outbox -> SMTP, recorded): {deliver_rate:,.0f} emails/s (median),"
        f" {deliver_cpu:.2f} ms CPU each"
    )
    print(f"crmkit render (send) + delivery:               {total_rate:,.0f} emails/s (median)")
    bulk_deliver_rate = statistics.median(bulk_deliver_rates)
    bulk_total_rate = statistics.median(bulk_total_rates)
    print(
        f"bulk (send_many): render at delivery + delivery {bulk_deliver_rate:,.0f} emails/s,"
        f" queue + render + delivery {bulk_total_rate:,.0f} emails/s (medians)"
    )
    print(
        f"plain smtplib, same messages, one connection:  {smtp_rate:,.0f} emails/s (median),"
        f" {smtp_cpu:.2f} ms CPU each"
    )
    print(
        f"delivery / plain: {share:.2f}; targets {OUTBOUND_TARGET}/s and"
        f" {OUTBOUND_SHARE_TARGET}x: {'reached' if outbound_ok else 'NOT reached'}"
    )
    print(
        f"crmkit mail-in (stored, routed), {args.connections} connections:"
        f" {in_rate:,.0f} messages/s (median), {in_cpu:.2f} ms CPU each"
    )
    print(f"plain email parse, same messages: {parse_rate:,.0f} messages/s (median)")
    print(
        f"mail-in / plain: {in_share:.3f}; target {INBOUND_TARGET}/s: "
        f"{'reached' if in_rate >= INBOUND_TARGET else 'NOT reached'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "channels",
                "messages": n,
                "inbound": m,
                "inbound_connections": args.connections,
                "rounds": args.rounds,
                "deliver_emails_per_s": round(deliver_rate),
                "render_and_deliver_emails_per_s": round(total_rate),
                "bulk_render_at_delivery_emails_per_s": round(bulk_deliver_rate),
                "bulk_queue_render_deliver_emails_per_s": round(bulk_total_rate),
                "plain_smtplib_emails_per_s": round(smtp_rate),
                "deliver_share_of_plain": round(share, 3),
                "deliver_cpu_ms_per_email": round(deliver_cpu, 3),
                "plain_smtplib_cpu_ms_per_email": round(smtp_cpu, 3),
                "outbound_targets_reached": outbound_ok,
                "mail_in_messages_per_s": round(in_rate),
                "mail_in_cpu_ms_per_message": round(in_cpu, 3),
                "plain_parse_messages_per_s": round(parse_rate),
                "mail_in_share_of_plain": round(in_share, 4),
                "inbound_target_reached": in_rate >= INBOUND_TARGET,
            }
        )
    )


if __name__ == "__main__":
    main()
