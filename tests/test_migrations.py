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


def test_0003_keeps_questions_and_adds_alternatives_and_examples(tmp_path: Path) -> None:
    from alembic import command

    database = Database.from_url(f"sqlite:///{tmp_path / 'steps.db'}")
    config = alembic_config(database.engine)
    command.upgrade(config, "0002")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO source_file (id, name, format, content_hash, imported_at) "
                "VALUES (1, 'n.txt', 'text', 'h', '2026-01-01')"
            )
        )
        connection.execute(text("INSERT INTO part VALUES (1, 1, 1, 'P')"))
        connection.execute(text("INSERT INTO topic VALUES (1, 1, 1, 'T')"))
        connection.execute(
            text(
                "INSERT INTO question (id, source_file_id, topic_id, key, position, text, "
                "reference_answer, content_hash, version, follow_up, retired, created_at, "
                "updated_at) VALUES (1, 1, 1, 'q', 0, 'Q?', 'A.', 'h', 1, 0, 0, "
                "'2026-01-01', '2026-01-01')"
            )
        )
    command.upgrade(config, "0003")
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT alternative_answers FROM question")).scalar() == "[]"
        connection.execute(
            text(
                "INSERT INTO example_answer (question_id, text, score, source, created_at) "
                "VALUES (1, 'B.', 0, 'notes', '2026-01-01')"
            )
        )
    command.downgrade(config, "0002")
    assert "example_answer" not in inspect(database.engine).get_table_names()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM question")).scalar() == "Q?"
    database.dispose()
