"""Migrations: an empty database upgrades to head and matches the models exactly."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db import Database, alembic_config, upgrade_database
from app.models import Base


def test_upgrade_empty_database_to_head_matches_models(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade_database(database.engine)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config(database.engine)).get_current_head()
        assert context.get_current_revision() == head
    assert set(inspect(database.engine).get_table_names()) >= set(Base.metadata.tables)
    database.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    database.dispose()


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    from alembic import command

    database = Database.from_url(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    config = alembic_config(database.engine)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert "question" in inspect(database.engine).get_table_names()
    database.dispose()
