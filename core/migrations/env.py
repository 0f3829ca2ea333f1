"""Alembic environment: migrates the engine kefu hands over (never one built from an ini file)."""

from alembic import context
from sqlmodel import SQLModel

from kefu.core import models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # SQLite runs DDL inside transactions too: the whole upgrade is one transaction
            # (begun IMMEDIATE by kefu.core.db), so concurrent openers never interleave steps.
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "sqlite":
                # Foreign keys are off while migrating (kefu.core.db); nothing may dangle.
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    raise RuntimeError(f"migration left dangling foreign keys: {dangling[:5]}")
        connection.commit()


run_migrations_online()
