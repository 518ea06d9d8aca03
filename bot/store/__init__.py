"""Persistence: SQLModel tables, sessions and Alembic migrations."""
