"""Who may write what: roles, the acting user, and the guard every write session carries.

Every write to the store goes through :func:`prodops.store.db.write_session`, which takes the
acting user and installs a :class:`Guard` on the session (docs/adr/0015-roles-and-audit.md). The
guard sees every row the session inserts, updates or deletes, whether through the ORM
(``session.add``, ``session.delete``) or a statement (``session.execute(sa.update(...))``), so no
feature can forget a check: before anything reaches the database it refuses, with
:class:`~prodops.errors.PermissionDeniedError`, a write the actor's role does not allow, and after
the write it appends who, when, what and the values before and after to the audit trail
(:mod:`prodops.store.audit`). The CLI, the Python API and the pages obey the same rules.

Roles
-----
- **viewer** reads;
- **editor** also writes OKRs, check-ins, critique scores and decisions, customer notes and
  insights, QBR narratives; removes links (a key result from a roadmap item, a note from an
  insight);
- **admin** also imports, renames and deletes datasets, connects databases, assigns roles, and
  deletes records for good (everything else is archived first).

Roles are enforced in *team mode*: when ``PRODOPS_ADMINS`` names the first admins. Without it
ProdOps is a single-user tool (a laptop, the demo): everyone may do everything, and every write
still lands in the audit trail under the name given. In team mode a person's role is: admin when
their e-mail is in ``PRODOPS_ADMINS``; else the role an admin assigned (:mod:`prodops.store.audit`);
else ``PRODOPS_DEFAULT_ROLE`` (viewer). The role is read from the store on every write session, so
a role change takes effect at once and a caller cannot claim a role, only an identity.

Examples
--------
>>> Role.EDITOR.allows(Role.VIEWER), Role.VIEWER.allows(Role.EDITOR)
(True, False)
>>> as_actor("ana@example.com").identity
'ana@example.com'
>>> needed("key_result", "delete"), needed("roadmap_item_key_result", "delete")
(<Role.ADMIN: 'admin'>, <Role.EDITOR: 'editor'>)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from prodops import config
from prodops.errors import PermissionDeniedError


class Role(enum.StrEnum):
    """What someone may do; each role may do what the ones before it may."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, other: Role) -> bool:
        """True when this role may do what *other* may."""
        return RANKS[self] >= RANKS[other]

    @classmethod
    def parse(cls, text: str) -> Role:
        """Read a role name in any case; ValueError naming the choices otherwise."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"{text!r} is not a role: use viewer, editor or admin") from None


RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Actor:
    """The person (or ProdOps itself) a write is done for.

    Parameters
    ----------
    identity
        What roles and the audit trail key on: the signed-in e-mail, the name typed in local
        mode, ``PRODOPS_USER`` for the CLI and the API.
    name
        How to show them ("Ana Lima"); the identity when empty.
    system
        ProdOps itself (``prodops setup`` writing the demo examples): always allowed, and logged
        as ``system``.
    """

    identity: str
    name: str = ""
    system: bool = False

    @property
    def shown(self) -> str:
        """The name when there is one, else the identity."""
        return self.name or self.identity

    @property
    def key(self) -> str:
        """The identity as roles are stored: spaces collapsed, lower case."""
        return " ".join(self.identity.split()).lower()


SYSTEM = Actor("system", "ProdOps (setup)", system=True)

# Tables whose rows are links an editor may remove; every other delete is an admin's.
LINK_TABLES = frozenset(
    {"roadmap_item_key_result", "research_insight_item", "research_insight_key_result"}
)
# Tables only an admin writes.
ADMIN_TABLES = frozenset({"team_member"})
# Tables the guard writes itself, or that only accompany a checked write.
AUDIT_TABLE = "audit_log"
UNAUDITED = frozenset({AUDIT_TABLE, "okr_edit_log", "alembic_version"})

# How messages name a table's rows.
NOUNS = {
    "objective": "objectives",
    "key_result": "key results",
    "check_in": "check-ins",
    "okr_edit_log": "OKR edits",
    "roadmap_item": "roadmap items",
    "roadmap_item_key_result": "links between roadmap items and key results",
    "critique_session": "critique sessions",
    "critique_session_item": "critique session items",
    "critique_score": "critique scores",
    "critique_submission": "critique submissions",
    "critique_decision": "critique decisions",
    "research_note": "customer notes",
    "research_insight": "customer insights",
    "research_insight_item": "links between insights and roadmap items",
    "research_insight_key_result": "links between insights and key results",
    "qbr_report": "quarterly reviews",
    "team_member": "roles",
    AUDIT_TABLE: "the audit trail",
}
VERBS = {"insert": "adding", "update": "changing", "delete": "deleting"}


def as_actor(actor: Actor | str | None) -> Actor:
    """*actor* as an :class:`Actor`: a string is an identity; None is ``PRODOPS_USER``."""
    if isinstance(actor, Actor):
        return actor
    identity = " ".join((actor or "").split())[:200]
    return Actor(identity or config.acting_user())


def team_mode() -> bool:
    """True when roles are enforced (``PRODOPS_ADMINS`` is set)."""
    return bool(config.admins())


def needed(table: str, operation: str) -> Role:
    """The least role that may *operation* (insert, update, delete) rows of *table*."""
    if table in ADMIN_TABLES:
        return Role.ADMIN
    if operation == "delete" and table not in LINK_TABLES:
        return Role.ADMIN
    return Role.EDITOR


def configured_role(actor: Actor) -> Role | None:
    """The role configuration alone gives *actor* (system, ``PRODOPS_ADMINS``, local mode)."""
    if actor.system or not team_mode():
        return Role.ADMIN
    if actor.key in config.admins():
        return Role.ADMIN
    return None


def article(role: Role | str) -> str:
    """'a viewer', 'an editor', 'an admin'."""
    text = str(role)
    return f"{'an' if text[:1] in 'aeiou' else 'a'} {text}"


def refusal(
    actor: Actor, role: Role, doing: str, need: Role, *, write: bool = True
) -> PermissionDeniedError:
    """The one-line "who, what role, what was refused, how to get it" error."""
    return PermissionDeniedError(
        f"{actor.shown} is {article(role)} and cannot do this: {doing} needs the {need.value} role",
        fix=("Nothing was saved. " if write else "")
        + "Ask an admin to change your role (Team page, or `prodops team set-role EMAIL ROLE`).",
    )


def describe(table: str, operation: str) -> str:
    """'adding check-ins', 'deleting key results'."""
    return f"{VERBS.get(operation, operation)} {NOUNS.get(table, table.replace('_', ' '))}"
