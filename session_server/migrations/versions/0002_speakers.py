"""speakers: clinicians' voice profiles, expected speakers per session

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_profiles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("vector_enc", sa.Text(), nullable=False),
        sa.Column("speech_s", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_speakers", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place; batch mode would copy and drop ``sessions``,
        # which the other tables' foreign keys refuse while they hold rows.
        op.execute("ALTER TABLE sessions DROP COLUMN expected_speakers")
    else:
        op.drop_column("sessions", "expected_speakers")
    op.drop_table("voice_profiles")
