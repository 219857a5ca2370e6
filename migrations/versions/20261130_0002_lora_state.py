"""LoRA pipeline state on subjects and styles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00

`lora_error` (subjects: why the last upload failed; styles keep theirs in `training_error`), `lora_info` (what the
stored weights file holds: format, tensor count, dtypes, size, hash) and `lora_upload_key` (the staged upload a
worker has yet to process).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subjects", sa.Column("lora_error", sa.Text(), nullable=True))
    op.add_column("subjects", sa.Column("lora_info", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("subjects", sa.Column("lora_upload_key", sa.String(length=512), nullable=True))
    op.add_column("styles", sa.Column("lora_info", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("styles", sa.Column("lora_upload_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    op.drop_column("styles", "lora_upload_key")
    op.drop_column("styles", "lora_info")
    op.drop_column("subjects", "lora_upload_key")
    op.drop_column("subjects", "lora_info")
    op.drop_column("subjects", "lora_error")
