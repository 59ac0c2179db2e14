"""The knowledge-base part of ``crmkit demo``: categories, articles in every status, feedback.

The articles answer the demo's cases (error E31, night mode, double invoices,
refunds, damaged parcels …), so that a case's page and the email auto-answer
suggest them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from crmkit import user_table
from crmkit_service.knowledge.index import rebuild_index
from crmkit_service.knowledge.tables import article, article_version, category, feedback

CATEGORIES = ("Billing", "Troubleshooting", "Using your unit", "Delivery and returns")

# (category, visibility, status, versions: each (title, body)), the newest version last.
ARTICLES: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    (
        "Troubleshooting",
        "public",
        "published",
        [
            (
                "Error E31 on the display",
                "E31 means the unit cannot read its pressure sensor.\n\n"
                "Switch the unit off at the mains, wait one minute and switch it on again. "
                "If E31 comes back after the restart, do not use the unit and call us: a "
                "technician will replace the sensor.",
            ),
            (
                "Error E31 on the display",
                "E31 means the unit cannot read its pressure sensor.\n\n"
                "Switch the unit off at the mains, wait one minute and switch it on again. "
                "If E31 comes back after the restart, do not use the unit and open a case "
                "with its serial number: a technician will replace the sensor, free of "
                "charge while the unit is under warranty.",
            ),
        ],
    ),
    (
        "Using your unit",
        "public",
        "published",
        [
            (
                "Setting the night mode",
                "The night mode lowers the temperature and the noise between the hours you "
                "choose.\n\nOpen Menu, then Settings, then Schedule, and turn on Night mode. "
                "Choose when it starts and ends, then press OK.",
            )
        ],
    ),
    (
        "Billing",
        "public",
        "published",
        [
            (
                "Charged twice for the same month",
                "If your bank statement shows the monthly fee twice, you do not need to do "
                "anything else than tell us: we refund the second charge within 14 days.\n\n"
                "Reply to your invoice email or open a case in the portal, and name the "
                "invoice number.",
            )
        ],
    ),
    (
        "Billing",
        "public",
        "published",
        [
            (
                "When refunds are paid",
                "Refunds are paid to the account you paid from within 14 days of our confirmation.",
            ),
            (
                "When refunds are paid",
                "Refunds are paid to the account you paid from within 10 working days of "
                "our confirmation. Card payments can take a further 3 days to show on your "
                "statement.",
            ),
        ],
    ),
    (
        "Delivery and returns",
        "public",
        "published",
        [
            (
                "Your parcel arrived damaged",
                "Please keep the box and take photos of the damage before you unpack "
                "further.\n\nOpen a case with the photos within 7 days. We send a "
                "replacement at once and claim the damage with the carrier ourselves.",
            )
        ],
    ),
    (
        "Delivery and returns",
        "public",
        "published",
        [
            (
                "Tracking a spare part delivery",
                "Every spare part we send has a tracking number, in the email that confirms "
                "the order. Parts usually arrive within 5 working days.",
            )
        ],
    ),
    (
        "Using your unit",
        "internal",
        "published",
        [
            (
                "Moving an installed unit",
                "Moving a unit needs a technician visit: it must be drained and its "
                "pressure tested after the move.\n\nBook a 2-hour visit. Under a service "
                "contract the visit counts as one of the contract's visits; otherwise it "
                "is billable.",
            )
        ],
    ),
    (
        "Billing",
        "internal",
        "published",
        [
            (
                "Handling a repeated billing run",
                "When finance reports a repeated billing run, tag the cases with the root "
                'cause "billing run repeated" and answer with the public article on double '
                "charges. Refunds are made in one batch by finance; do not refund by hand.",
            )
        ],
    ),
    (
        "Delivery and returns",
        "internal",
        "published",
        [
            (
                "Carrier claims for damaged parcels",
                "Forward the customer's photos to the carrier's claims desk within 10 days "
                "of delivery, naming the tracking number. Note the claim number on the case.",
            )
        ],
    ),
    (
        "Troubleshooting",
        "internal",
        "draft",
        [
            (
                "Winter maintenance checklist",
                "Check the pressure, bleed the radiators, test the frost protection.",
            )
        ],
    ),
    (
        "Billing",
        "public",
        "archived",
        [
            (
                "Warranty terms for units bought before 2020",
                "Units bought before 2020 have a warranty of two years from delivery.",
            )
        ],
    ),
]

COMMENTS = ("Clear, thank you.", "Solved it in a minute.", "Still not sure what to do.", None)


def seed_knowledge(conn: Connection, rng: random.Random, now: datetime, language: str) -> None:
    """Write the demo articles, their versions and some feedback, then index them."""
    writers = list(
        conn.scalars(select(user_table.c.id).where(user_table.c.role.in_(("service", "manager"))))
    )
    if not writers:
        return
    categories: dict[str, int] = dict(
        conn.execute(
            insert(category)
            .values(
                [{"name": name, "created_at": now - timedelta(days=120)} for name in CATEGORIES]
            )
            .returning(category.c.name, category.c.id)
        ).all()
    )
    for n, (category_name, visibility, status, versions) in enumerate(ARTICLES):
        written = now - timedelta(days=110 - 9 * n, hours=rng.randrange(8))
        _seed_article(
            conn, rng, writers, categories[category_name], visibility, status, versions, written
        )
    rebuild_index(conn, language)


def _seed_article(
    conn: Connection,
    rng: random.Random,
    writers: list[int],
    category_id: int,
    visibility: str,
    status: str,
    versions: list[tuple[str, str]],
    written: datetime,
) -> None:
    live = None if status == "draft" else len(versions)
    title, body = versions[-1]
    article_id = conn.execute(
        insert(article)
        .values(
            category_id=category_id,
            visibility=visibility,
            status=status,
            title=title,
            body=body,
            version=len(versions),
            published_version=live,
            created_by=rng.choice(writers),
            created_at=written,
            updated_at=written + timedelta(days=len(versions) - 1),
            published_at=None if live is None else written + timedelta(days=len(versions) - 1),
        )
        .returning(article.c.id)
    ).scalar_one()
    rows: list[dict[str, Any]] = []
    for number, (version_title, version_body) in enumerate(versions, 1):
        at = written + timedelta(days=number - 1)
        author = rng.choice(writers)
        rows.append(
            {
                "article_id": article_id,
                "number": number,
                "title": version_title,
                "body": version_body,
                "category_id": category_id,
                "visibility": visibility,
                "note": None if number == 1 else "Updated the terms",
                "author_id": author,
                "created_at": at,
                "published_at": None if live is None else at,
                "published_by": None if live is None else author,
            }
        )
    conn.execute(insert(article_version), rows)
    if live is None:
        return
    ratings = [
        {
            "article_id": article_id,
            "version": rng.randint(1, live),
            "helpful": rng.random() < 0.75,
            "comment": rng.choice(COMMENTS),
            "user_id": rng.choice(writers),
            "created_at": written + timedelta(days=rng.randint(1, 20)),
        }
        for _ in range(rng.randrange(6))
    ]
    if ratings:
        conn.execute(insert(feedback), ratings)
