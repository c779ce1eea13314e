"""Demo customer notes for the Customer insights page, tied to the demo subscriptions' customers.

``prodops setup`` adds them once (recorded as ``demo_notes`` in ``setup.json``, so notes that
someone removed are not brought back), and only into a store that holds no notes yet. About 240
notes from interviews, support tickets, sales calls and reviews on ten themes, with planted
near-duplicates (the same request again with typos, or its sentences reordered, from another
touchpoint), NPS responses with comments, and one insight per theme holding most of its notes.
The insights whose theme matches an example roadmap item are linked to it as evidence.
Everything is drawn from a fixed seed: every set-up makes the same notes.

Examples
--------
>>> customers = pd.DataFrame({"customer_id": ["u1", "u2"], "plan": ["pro", "starter"]})
>>> notes = demo_notes(customers, seed=7)
>>> len(notes) > 250, set(notes["customer_id"]) <= {"u1", "u2"}
(True, True)
>>> notes["source_id"].is_unique
True
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from prodops.data.demo_datasets import demo_dir
from prodops.data.first_start import read_marker, write_marker
from prodops.errors import NotFoundError
from prodops.research import crud, insight_crud
from prodops.research.models import ResearchInsightCreate, ResearchNote
from prodops.store.access import SYSTEM
from prodops.store.db import read_session, write_session

SOURCE = "demo"
FIRST_DAY = dt.date(2025, 11, 3)
DAYS = 360
KINDS = ("interview", "support_ticket", "sales_call", "review")
# theme -> (claim, example roadmap item key or None, tags, (asks, reasons)): a note says one ask
# and one reason, so two customers rarely use the same words.
THEMES: dict[
    str, tuple[str, str | None, tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]]
] = {
    "onboarding": (
        "New teams get lost in the first week without a checklist",
        "example:onboarding",
        ("onboarding", "activation"),
        (
            (
                "A checklist for the first week would have saved us days.",
                "New admins keep asking which setup step comes first.",
                "The empty dashboard after sign-up left us guessing.",
                "Please add a guided tour for new workspaces.",
                "Setting up took far longer than the sales pitch suggested.",
            ),
            (
                "We nearly gave up before importing any data.",
                "Our trial almost expired before anyone saw a chart.",
                "Every new hire needs an hour of hand-holding.",
                "Nobody knew whether events or subscriptions should go in first.",
                "The docs assume you already know the product.",
            ),
        ),
    ),
    "digest": (
        "Managers want a weekly e-mail summary instead of logging in",
        "example:digest",
        ("digest", "email"),
        (
            (
                "Please e-mail a weekly summary of the key numbers.",
                "A Monday digest with retention and churn would be ideal.",
                "Can the tool send the numbers to my inbox every week?",
                "Our VP wants the headline metrics by mail, not a login.",
            ),
            (
                "I copy the figures into an e-mail by hand every Friday.",
                "Executives will never open another dashboard.",
                "Our leadership reads everything on the phone between meetings.",
                "The weekly business review starts from those numbers.",
            ),
        ),
    ),
    "slack": (
        "Teams want alerts in Slack when a metric moves",
        "example:slack",
        ("slack", "alerts"),
        (
            (
                "Post to our Slack channel when weekly retention drops.",
                "A Slack ping when churn spikes would help a lot.",
                "Notify the team in Slack when a key result goes off track.",
                "We want alerts in Slack rather than e-mail.",
            ),
            (
                "We only noticed the last drop two weeks later.",
                "The whole company lives in Slack.",
                "On-call product managers need to react the same day.",
                "E-mails get lost in everyone's inbox.",
            ),
        ),
    ),
    "dark-mode": (
        "Night-shift users ask for a dark theme",
        "example:dark-mode",
        ("ui", "dark mode"),
        (
            (
                "Dark mode please!",
                "Could you offer a dark theme?",
                "A darker colour scheme would be welcome.",
            ),
            (
                "The white dashboard is blinding during night shifts.",
                "Our support team works nights and the bright screens hurt.",
                "Everything else we use at night is already dark.",
            ),
        ),
    ),
    "sso": (
        "Enterprise buyers need single sign-on before a company-wide rollout",
        None,
        ("sso", "security", "enterprise"),
        (
            (
                "We need single sign-on with Okta.",
                "IT requires SAML login through Azure AD.",
                "No SSO means no company-wide rollout for us.",
                "Please support Google Workspace sign-in.",
                "Our security review asks for SSO and SCIM.",
            ),
            (
                "Procurement is blocked until it exists.",
                "Every vendor must pass the same checklist.",
                "Managing separate passwords for 300 people is not an option.",
                "Offboarding people by hand already went wrong once.",
            ),
        ),
    ),
    "export": (
        "Large CSV exports time out",
        None,
        ("export", "performance"),
        (
            (
                "The CSV export times out on a year of data.",
                "Exporting the full event history never finishes.",
                "Big exports fail after a minute with no message.",
                "Downloads of large reports stop halfway.",
            ),
            (
                "We need the file for the board pack.",
                "Our analysts redo the work in a notebook instead.",
                "Finance reconciles revenue from that export.",
                "Smaller date ranges work, so it must be the size.",
            ),
        ),
    ),
    "mobile": (
        "People check numbers on their phones and the site is hard to use there",
        None,
        ("mobile",),
        (
            (
                "The site is unusable on a phone.",
                "On mobile the charts are cut off and tables do not scroll.",
                "Please make the retention page work on small screens.",
            ),
            (
                "I check numbers between meetings.",
                "Our field managers only carry phones.",
                "Screenshots from the desktop are how we share them today.",
            ),
        ),
    ),
    "api": (
        "Data teams want an API to pull metrics into their warehouse",
        None,
        ("api", "integrations"),
        (
            (
                "We want to pull the retention table through an API.",
                "Is there an API for the metrics?",
                "The API rate limit blocks our nightly sync.",
                "Please document pagination for the events endpoint.",
            ),
            (
                "Our data team models everything in dbt.",
                "Everything else lands in Snowflake every night.",
                "Copying CSVs by hand does not scale.",
                "Our BI tool should show the same numbers.",
            ),
        ),
    ),
    "invoices": (
        "Finance needs compliant invoices",
        None,
        ("billing", "invoices"),
        (
            (
                "Invoices need our VAT number on them.",
                "Please bill our German entity in euros.",
                "We need PDF invoices with a purchase-order number.",
            ),
            (
                "Accounts payable rejects them otherwise.",
                "Our auditors flagged the last three.",
                "Finance asks about it every month.",
            ),
        ),
    ),
    "pricing": (
        "Per-seat pricing is too expensive for part-time users",
        None,
        ("pricing",),
        (
            (
                "Per-seat pricing is too expensive for part-time agents.",
                "We would rather pay for usage than for seats.",
                "The jump from starter to pro is too big.",
                "A cheaper viewer seat would solve it.",
            ),
            (
                "Most of our people log in once a month.",
                "Forty support agents only need to read reports.",
                "Our budget is fixed until next fiscal year.",
                "A competitor quoted half the price.",
            ),
        ),
    ),
}
# NPS comment = an opener of the respondent's group + a detail (or no comment at all).
NPS_OPENERS = {
    "promoter": ("Love it.", "Great tool.", "Very happy so far.", "Recommended it to a friend."),
    "passive": ("Good overall.", "Does the job.", "Fine for now.", "Mostly happy."),
    "detractor": ("Disappointed.", "Not worth it yet.", "Frustrating.", "Thinking of leaving."),
}
NPS_DETAILS = {
    "promoter": (
        "The cohort charts saved us hours every week.",
        "OKR check-ins keep the team honest.",
        "Revenue numbers finally match finance.",
        "Support answered within the hour.",
        "Setting up the first dashboard took ten minutes.",
    ),
    "passive": (
        "Slack alerts are missing.",
        "Exports are slow on big reports.",
        "The mobile view needs work.",
        "Would like an API.",
        "Pricing is on the high side.",
    ),
    "detractor": (
        "Too expensive for what we use.",
        "Without SSO our IT will not approve it.",
        "Onboarding was confusing.",
        "Exports keep timing out.",
        "Invoices are wrong every month.",
    ),
}


NPS_CLOSINGS = (
    "Thanks for asking.",
    "We have used it since spring.",
    "Our whole product team relies on it.",
    "Keep going.",
    "Happy to talk more.",
    "Compared with last year it is better.",
    "Only two of us use it so far.",
    "We renew in January.",
)
# Said around a request: who is speaking and how it affects them (makes each note its own).
CONTEXTS = (
    "Said by their head of support during the quarterly check-in.",
    "Raised by the new operations lead in week two.",
    "Came up three times in the renewal call.",
    "Their CFO brought it up while discussing the contract.",
    "A team lead mentioned it while sharing her screen.",
    "The founder asked about it at the end of the demo.",
    "Mentioned in passing, but with some frustration.",
    "They said a competitor already offers this.",
    "It blocks the expansion to their second office.",
    "Two of their analysts agreed it is their top annoyance.",
    "They asked whether it is on the roadmap for next quarter.",
    "It was the first thing the new admin asked about.",
    "Budget for next year depends on it, according to their director.",
    "Their agency partner made the same point last month.",
    "They work around it with a shared spreadsheet today.",
    "Half of their regional managers are affected.",
    "Otherwise happy; the weekly review is where it hurts.",
    "Their board meets in March and they want it before then.",
    "Procurement wants a written answer by Friday.",
    "The champion who bought us is leaving, so the new owner is skeptical.",
    "They compared us with two other tools last quarter.",
    "Customer since launch; this is their only complaint.",
    "Their marketing team would use it too.",
    "A trial user from their sister company said the same.",
    "They would move from monthly to yearly billing if it ships.",
    "Engineering offered to build a script, but nobody wants to maintain it.",
    "The CEO forwarded the request herself.",
    "They run a hundred client accounts and feel it on each one.",
    "Seasonal peak starts in November, so timing matters to them.",
    "Reported from the mobile app, with a screenshot attached.",
)


def _typo(text: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters in two of the longer words (a plausible typo)."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    for i in rng.choice(long, size=min(2, len(long)), replace=False) if long else []:
        w = words[int(i)]
        j = int(rng.integers(1, len(w) - 2))
        words[int(i)] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _distinct(
    asks_reasons: tuple[tuple[str, ...], tuple[str, ...]], said: set[str], rng: np.random.Generator
) -> str:
    """One ask, one reason and two context sentences, not said in these words before."""
    asks, reasons = asks_reasons
    for _ in range(50):
        first, second = rng.choice(len(CONTEXTS), size=2, replace=False)
        text = " ".join(
            (
                asks[int(rng.integers(len(asks)))],
                reasons[int(rng.integers(len(reasons)))],
                CONTEXTS[int(first)],
                CONTEXTS[int(second)],
            )
        )
        if text not in said:
            break
    said.add(text)
    return text


def _reorder(text: str) -> str:
    """The sentences of *text* in reverse order (the same request, told the other way round)."""
    parts = [p.strip() for p in text.replace("? ", "?|").replace(". ", ".|").split("|")]
    return " ".join(reversed(parts)) if len(parts) > 1 else text


def demo_notes(customers: pd.DataFrame, *, seed: int = 14) -> pd.DataFrame:
    """About 300 notes plus NPS responses, as canonical rows for ``crud.import_notes``.

    *customers* has ``customer_id`` and ``plan`` (one row per customer). The column ``theme``
    tells which theme a note is about (empty for NPS responses); ``planted`` marks the
    near-duplicates.
    """
    rng = np.random.default_rng(seed)
    ids = customers["customer_id"].to_numpy()
    plans = dict(zip(customers["customer_id"], customers["plan"], strict=True))
    rows: list[dict[str, object]] = []

    def add(text: str, kind: str, theme: str, tags: tuple[str, ...], planted: bool) -> None:
        customer = str(ids[int(rng.integers(len(ids)))])
        rows.append(
            {
                "source_id": f"demo-{len(rows) + 1:04d}",
                "text": text,
                "source_kind": kind,
                "customer_id": customer,
                "customer_email": "",
                "customer_company": "",
                "noted_on": FIRST_DAY + dt.timedelta(days=int(rng.integers(DAYS))),
                "link": "",
                "tags": list(tags),
                "score": None,
                "properties": {"plan": plans[customer]},
                "theme": theme,
                "planted": planted,
            }
        )

    weights = np.array([20, 14, 16, 9, 22, 16, 10, 14, 8, 18], dtype=float)
    said: set[str] = set()
    for theme, count in zip(THEMES, weights.astype(int), strict=True):
        _claim, _item, tags, phrasings = THEMES[theme]
        for _ in range(count):
            text = _distinct(phrasings, said, rng)
            add(text, KINDS[int(rng.integers(len(KINDS)))], theme, tags, planted=False)
            if rng.random() < 0.2:  # the same request again, from another touchpoint
                again = _typo(text, rng) if rng.random() < 0.6 else _reorder(text)
                add(again, KINDS[int(rng.integers(len(KINDS)))], theme, tags, planted=True)
    for _ in range(70):
        score = int(rng.choice(11, p=_NPS_P))
        group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment = ""
        if rng.random() < 0.75:  # a quarter of respondents leave no comment
            opener = NPS_OPENERS[group][int(rng.integers(len(NPS_OPENERS[group])))]
            detail = NPS_DETAILS[group][int(rng.integers(len(NPS_DETAILS[group])))]
            closing = NPS_CLOSINGS[int(rng.integers(len(NPS_CLOSINGS)))]
            comment = f"{opener} {detail} {closing}"
        add(comment, "nps_comment", "", ("nps",), planted=False)
        rows[-1]["score"] = score
    return pd.DataFrame(rows)


_NPS_P = np.array([1, 1, 1, 2, 2, 3, 5, 10, 14, 26, 20], dtype=float)
_NPS_P /= _NPS_P.sum()


def demo_customers(directory: Path | None = None) -> pd.DataFrame:
    """The demo subscriptions' customers with the plan of their latest subscription."""
    subs = pd.read_csv((directory or demo_dir()) / "demo-subscriptions.csv.gz")
    latest = subs.sort_values("start").drop_duplicates("customer_id", keep="last")
    return latest[["customer_id", "plan"]].reset_index(drop=True)


def install_demo_notes(engine: Engine, *, home: Path, directory: Path | None = None) -> str:
    """Add the demo notes and insights once; return what happened (for ``prodops setup``)."""
    marker = read_marker(home)
    if marker.get("demo_notes"):
        return "already set up once"
    with read_session(engine) as session:
        has_notes = bool(crud.list_notes(session=session))
    if has_notes:
        marker["demo_notes"] = "not created"
        write_marker(home, marker)
        return "not created: the store already holds notes"
    notes = demo_notes(demo_customers(directory))
    with write_session(engine, actor=SYSTEM) as session:
        crud.import_notes(
            session=session,
            rows=notes.drop(columns=["theme", "planted"]),
            source=SOURCE,
            actor="demo",
        )
        stored = {n.source_id: n for n in crud.list_notes(session=session)}
        _group_into_insights(session, notes, stored)
    marker["demo_notes"] = "created"
    write_marker(home, marker)
    return f"{len(notes)} notes added"


def _group_into_insights(
    session: Session, notes: pd.DataFrame, stored: dict[str, ResearchNote]
) -> None:
    """One insight per theme holding 70 % of its notes (the rest, and the planted duplicates, are
    left for the page's suggestions and duplicate review); link it to its example item."""
    for theme, (claim, item_key, tags, _) in THEMES.items():
        insight = insight_crud.create_insight(
            session=session,
            insight_in=ResearchInsightCreate(claim=claim, tags=list(tags)),
            actor="demo",
        )
        members = notes[(notes["theme"] == theme) & ~notes["planted"]]
        for source_id in members["source_id"].iloc[: int(len(members) * 0.7)]:
            note = stored[source_id]
            insight_crud.assign_note(
                session=session,
                note_id=int(note.id or 0),
                insight_id=insight.id,
                seen_version=note.version,
                actor="demo",
            )
        if item_key is None:
            continue
        try:
            item_id = insight_crud.item_id_for_key(session=session, key=item_key)
        except NotFoundError:  # the examples were not created, or were removed
            continue
        insight_crud.link_item(
            session=session, insight_id=insight.id or 0, item_id=item_id, actor="demo"
        )
