"""Guessing at the door: wrong logins counted per client address (growing waits), and per typed
Company ID + User ID pair that names nobody (so an unknown pair is blocked at the fifth try, as a real
user would be, and the lockout tells nobody which users exist).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "unknown_logins",
        sa.Column("pair_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pair_hash", name=op.f("pk_unknown_logins")),
    )


def downgrade() -> None:
    op.drop_table("unknown_logins")
    op.drop_table("login_throttle")
