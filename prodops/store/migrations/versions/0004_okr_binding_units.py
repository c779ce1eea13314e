"""Key-result bindings record their unit; refreshed check-ins record where they came from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

``key_result.binding_unit``: the bound metric's unit from the registry (ratio, count, money), so a
ratio refreshed into a key result in percent is stored in percent (issue 11). Rows bound before
this revision keep NULL; a refresh then reads the unit from the registry.

``check_in.source_*``: for a metric refresh, the dataset and its catalog version, the period the
value describes and the data end. A person's check-in leaves them NULL.

Nullable columns only, so existing rows need no value. Batches keep SQLite happy: an added column
is a plain ``ALTER TABLE ... ADD COLUMN``; ``recreate="never"`` makes the downgrade a plain
``ALTER TABLE ... DROP COLUMN`` too (SQLite 3.35+), instead of copying ``key_result`` while
``check_in`` rows still point at it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_IN_COLUMNS = (
    ("source_dataset", AutoString()),
    ("source_version", sa.Integer()),
    ("source_period_start", UTCDateTime()),
    ("source_period_end", UTCDateTime()),
    ("source_data_end", UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("key_result", recreate="never") as batch:
        batch.add_column(sa.Column("binding_unit", AutoString(length=20), nullable=True))
    with op.batch_alter_table("check_in", recreate="never") as batch:
        for name, type_ in CHECK_IN_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_in", recreate="never") as batch:
        for name, _type in reversed(CHECK_IN_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("key_result", recreate="never") as batch:
        batch.drop_column("binding_unit")
