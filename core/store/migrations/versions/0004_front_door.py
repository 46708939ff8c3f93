"""The front door: an HttpOnly session cookie of its own, given for a one-time ticket, and the
processes' heartbeats for the readiness check.

login_sessions gains cookie_token_hash (the cookie's token, set by the server's /session route, is
not the token the browser tab holds) and a one-time ticket (ticket_hash, ticket_expires_at) that
the tab hands to the route to get that cookie. heartbeats holds, per process kind (the scheduler),
when it last finished its work.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.add_column(sa.Column("cookie_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_login_sessions_cookie_token_hash", ["cookie_token_hash"])
        batch_op.create_unique_constraint("uq_login_sessions_ticket_hash", ["ticket_hash"])
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.drop_constraint("uq_login_sessions_ticket_hash", type_="unique")
        batch_op.drop_constraint("uq_login_sessions_cookie_token_hash", type_="unique")
        batch_op.drop_column("ticket_expires_at")
        batch_op.drop_column("ticket_hash")
        batch_op.drop_column("cookie_token_hash")
