"""Alembic environment: runs the migrations against the URL set by bot.store.db.upgrade."""

from alembic import context
from sqlmodel import SQLModel

import bot.store.models
import bot.store.public  # noqa: F401 - and the public side's
from bot.store.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run every pending migration in one transaction per migration."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `warroom db upgrade`")
run_migrations_online()
