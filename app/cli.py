"""The `mock-interview` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.config import Settings
from app.db import Database
from app.grading.base import UnknownGraderError
from app.grading.registry import GraderFactory
from app.practice.reviews import OPTIMIZER_MIN_REVIEWS


def main(
    argv: Sequence[str] | None = None, *, graders: Mapping[str, GraderFactory] | None = None
) -> int:
    """Run the command line; returns the exit status.

    `graders` adds grader factories by name for `serve` and `worker` (as `create_app` takes them).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.graders = graders
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        return 2
    try:
        status: int = args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except UnknownGraderError as exc:
        print(f"error: invalid settings — GRADER: {exc}", file=sys.stderr)
        return 2
    return status


def settings_problem(exc: ValidationError) -> str:
    """Which settings are wrong and why, by their environment variable names."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error.get("loc", ())).upper() or "settings"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{name}: {message}")
    return "invalid settings — " + "; ".join(problems)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-interview", description="Practise ML / AI interviews from your own notes."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", help="address to bind (default: HOST setting, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT setting, 8000)")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker", help="grade queued answers (for GRADING_WORKERS=0 servers or more capacity)"
    )
    worker.add_argument(
        "--threads", type=int, default=1, help="grading threads in this process (default 1)"
    )
    worker.add_argument("--drain", action="store_true", help="grade what is queued now, then exit")
    worker.set_defaults(handler=_worker)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations up to the latest")
    upgrade.set_defaults(handler=_db_upgrade)

    imp = commands.add_parser("import", help="import notes files into the question bank")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument("--user", help="whose bank it is (default: the first user, the admin)")
    imp.add_argument("--publish", action="store_true", help="publish the bank: every user sees it")
    imp.set_defaults(handler=_import)

    questions = commands.add_parser("questions", help="list the question bank")
    questions.add_argument("--topic", help="only topics whose title contains this")
    questions.add_argument("--json", action="store_true", help="print JSON")
    questions.set_defaults(handler=_questions)

    evaluate = commands.add_parser("eval", help="measure a grader against human scores")
    evaluate.add_argument("dataset", type=Path, metavar="DATASET.csv")
    evaluate.add_argument("--grader", help="grader name (default: GRADER setting)")
    evaluate.add_argument("--limit", type=int, help="grade only the first N rows")
    evaluate.add_argument(
        "--predictions",
        type=Path,
        metavar="OUT.csv",
        help="write every row back with predicted_score and predicted_verdict",
    )
    evaluate.add_argument(
        "--first-reference",
        action="store_true",
        help="grade against the first reference only, ignoring a reference_answers column",
    )
    evaluate.add_argument(
        "--exemplars",
        type=Path,
        metavar="TRAIN.csv",
        help=(
            "graded example answers (same columns): those of a question with the same text "
            "vote and calibrate it; those of a data set (the dataset column) set where "
            "'correct' begins for its questions without examples"
        ),
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(handler=_eval)

    transcribe = commands.add_parser("transcribe", help="transcribe a recording offline")
    transcribe.add_argument("file", type=Path, metavar="FILE")
    transcribe.add_argument(
        "--json", action="store_true", help="print JSON: word timings and delivery too"
    )
    transcribe.set_defaults(handler=_transcribe)

    _add_api_key_commands(commands)
    _add_user_commands(commands)
    _add_bank_commands(commands)
    _add_review_commands(commands)
    return parser


def _add_bank_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    banks = commands.add_parser("bank", help="list banks (notes files) and publish them")
    bank_commands = banks.add_subparsers(title="bank commands", metavar="COMMAND")
    listing = bank_commands.add_parser("list", help="every bank: owner, published, questions")
    listing.set_defaults(handler=_bank_list)
    publish = bank_commands.add_parser(
        "publish", help="let every user see a bank (only its owner still changes it)"
    )
    publish.add_argument("name", help="the notes file name, e.g. day1.txt")
    publish.add_argument("--user", help="its owner (default: the first user, the admin)")
    publish.add_argument("--withdraw", action="store_true", help="make it private again")
    publish.set_defaults(handler=_bank_publish)


def _add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("user", help="manage accounts (AUTH=password)")
    user_commands = users.add_subparsers(title="user commands", metavar="COMMAND")
    create = user_commands.add_parser(
        "create",
        help="create an account; the password is asked for (or read from stdin), never an "
        "argument. The first account claims the local user's data and becomes the admin.",
    )
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="make the account an admin")
    create.set_defaults(handler=_user_create)
    listing = user_commands.add_parser("list", help="list accounts")
    listing.set_defaults(handler=_user_list)
    password = user_commands.add_parser(
        "set-password", help="set a password (signs the user out everywhere)"
    )
    password.add_argument("name")
    password.set_defaults(handler=_user_set_password)
    delete = user_commands.add_parser(
        "delete",
        help="delete an account with its history, recordings and keys (its banks go to an admin)",
    )
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=_user_delete)


def _add_review_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = commands.add_parser("review", help="spaced review (FSRS): what is due, optimizer")
    review_commands = review.add_subparsers(title="review commands", metavar="COMMAND")
    due = review_commands.add_parser("due", help="list the questions due now, most overdue first")
    due.add_argument("--user", default=None, help="user name (default: the first user)")
    due.add_argument("--json", action="store_true", help="print JSON")
    due.set_defaults(handler=_review_due)
    optimize = review_commands.add_parser(
        "optimize",
        help="fit FSRS parameters to a user's review log (needs the optimizer extra and "
        f"{OPTIMIZER_MIN_REVIEWS} reviews)",
    )
    optimize.add_argument("--user", default=None, help="user name (default: the first user)")
    optimize.set_defaults(handler=_review_optimize)


def _add_api_key_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("api-key", help="manage REST API keys")
    key_commands = keys.add_subparsers(title="api-key commands", metavar="COMMAND")
    owner_help = "the user the key acts as (default: the first user, the admin)"
    create = key_commands.add_parser("create", help="create a key and print it once")
    create.add_argument("name")
    create.add_argument("--user", help=owner_help)
    create.set_defaults(handler=_api_key_create)
    listing = key_commands.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--user", help="only this user's keys")
    listing.set_defaults(handler=_api_key_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name")
    revoke.add_argument("--user", help=owner_help)
    revoke.set_defaults(handler=_api_key_revoke)


def _review_user(session: Any, name: str | None) -> Any:
    from app.accounts.users import ensure_local_user, get_user

    return get_user(session=session, name=name) if name else ensure_local_user(session=session)


def _review_due(args: argparse.Namespace, settings: Settings) -> int:
    from app.practice.reviews import desired_retention, review_queue
    from app.startup import open_database

    database = open_database(settings)
    with database.session() as session:
        user = _review_user(session, args.user)
        queue = review_queue(
            session=session,
            user_id=user.id,
            desired_retention=desired_retention(
                session=session, user_id=user.id, default=settings.review_desired_retention
            ),
            due_only=True,
        )
    database.dispose()
    if args.json:
        rows = [
            {
                "question_id": item.question_id,
                "due_at": item.due_at.isoformat() + "Z",
                "retrievability": round(item.retrievability, 4),
                "state": item.state,
            }
            for item in queue
        ]
        print(json.dumps({"items": rows}, indent=2))
        return 0
    if not queue:
        print("nothing is due")
    for item in queue:
        print(
            f"question {item.question_id}: due {item.due_at:%Y-%m-%d %H:%M} UTC, "
            f"recall {item.retrievability:.0%}, {item.state}"
        )
    return 0


def _review_optimize(args: argparse.Namespace, settings: Settings) -> int:
    from app.practice.reviews import NotEnoughReviews, OptimizerUnavailable, fit_parameters
    from app.startup import open_database

    database = open_database(settings)
    try:
        with database.session() as session:
            user = _review_user(session, args.user)
            parameters = fit_parameters(session=session, user_id=user.id)
    except NotEnoughReviews as exc:
        print(f"not enough data yet: {exc}")
        return 1
    except OptimizerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print("FSRS parameters fitted to your reviews:")
    print(json.dumps([round(p, 4) for p in parameters]))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.main import create_app

    # The address decides AUTH=auto, whether AUTH=none may serve and the default
    # TRUSTED_HOSTS: --host and --port go into the settings, checked again.
    try:
        settings = Settings.model_validate(
            settings.model_dump()
            | {"host": args.host or settings.host, "port": args.port or settings.port}
        )
    except ValidationError as exc:
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        return 2
    # The app's lifespan migrates and seeds before the first request; a broken database
    # stops the server there.
    uvicorn.run(
        create_app(settings, graders=args.graders),
        host=settings.host,
        port=settings.port,
        # X-Forwarded-For/-Proto count only from the proxies FORWARDED_ALLOW_IPS names.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    import logging
    import signal
    import threading

    from app.grading.graders import GraderPool
    from app.practice.workers import GradingWorkers, drain_queue
    from app.startup import open_database

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    database = open_database(settings)
    graders = GraderPool(settings, args.graders)
    if args.drain:
        taken = drain_queue(database=database, graders=graders, settings=settings)
        print(f"graded {taken} queued answers")
        database.dispose()
        return 0
    workers = GradingWorkers(
        database=database, graders=graders, settings=settings, threads=max(1, args.threads)
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    workers.start()
    print(f"grading worker {workers.name} running with {workers.threads} thread(s)", flush=True)
    stop.wait()
    workers.stop()
    database.dispose()
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from app.startup import open_database

    open_database(settings).dispose()
    print(f"database is at the latest revision: {settings.resolved_database_url}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from app.material.importer import import_notes_file, publish_bank
    from app.material.notes import NotesError
    from app.startup import open_database

    database = open_database(settings)
    try:
        owner = _user_id(database, args.user)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        database.dispose()
        return 1
    failed = 0
    for path in args.paths:
        try:
            with database.session() as session:
                report = import_notes_file(
                    session=session,
                    path=path,
                    user_id=owner,
                    max_answer_chars=settings.max_answer_chars,
                )
                if args.publish:
                    publish_bank(session=session, user_id=owner, name=report.source)
        except NotesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(report.summary())
    database.dispose()
    return 1 if failed else 0


def _questions(args: argparse.Namespace, settings: Settings) -> int:
    from app.material.bank import list_questions
    from app.startup import open_database

    database = open_database(settings)
    with database.session() as session:
        views = list_questions(session=session, user_id=None, topic=args.topic)
    database.dispose()
    if args.json:
        fields = ("id", "part", "topic", "question", "reference_answer", "source", "version")
        items = [
            {key: getattr(view, key) for key in fields} | {"key_points": view.key_points}
            for view in views
        ]
        print(json.dumps(items, indent=2, ensure_ascii=False))
        return 0
    current = None
    for view in views:
        heading = f"{view.source} · Part {view.part_number}: {view.part} · {view.topic}"
        if heading != current:
            print(f"\n{heading}")
            current = heading
        print(f"  [{view.id}] {view.question}")
    if not views:
        print("no questions match", file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from app.grading.base import UnknownGraderError
    from app.grading.evaluation import EvalError, format_report, run_eval
    from app.grading.registry import create_grader

    try:
        grader = create_grader(args.grader or settings.grader, settings)
        report = run_eval(
            args.dataset,
            grader=grader,
            limit=args.limit,
            predictions=args.predictions,
            all_references=not args.first_reference,
            exemplars=args.exemplars,
        )
    except (UnknownGraderError, EvalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report, as_json=args.json))
    return 0


def _transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from app.voice.audio import EXTENSIONS
    from app.voice.errors import VoiceError
    from app.voice.service import transcribe_upload, transcriber_for

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    types = {extension: kind for kind, extension in EXTENSIONS.items()}
    content_type = types.get(args.file.suffix.lower().lstrip("."), "application/octet-stream")
    print(f"transcribing {args.file} with Whisper {settings.whisper_model}…", file=sys.stderr)
    try:
        _audio, transcription = transcribe_upload(
            transcriber=transcriber_for(settings),
            data=data,
            content_type=content_type,
            settings=settings,
        )
    except VoiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(transcription.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(transcription.transcript.text)
    return 0


def _api_key_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.api_keys import ApiKeyError, create_api_key
    from app.startup import open_database

    database = open_database(settings)
    try:
        owner = _user_id(database, args.user)
        with database.session() as session:
            key = create_api_key(session=session, user_id=owner, name=args.name)
    except (ApiKeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(key)
    print("Store it now: it is shown only once.", file=sys.stderr)
    return 0


def _api_key_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.api_keys import list_api_keys
    from app.startup import open_database

    database = open_database(settings)
    try:
        owner = _user_id(database, args.user) if args.user else None
        with database.session() as session:
            keys = list_api_keys(session=session, user_id=owner)
            rows = [(key, key.user.name) for key in keys]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    for key, user in rows:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        print(f"{key.name}\t{user}\t{key.prefix}…\tcreated {key.created_at:%Y-%m-%d}\t{state}")
    if not keys:
        print("no API keys", file=sys.stderr)
    return 0


def _api_key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.api_keys import ApiKeyError, revoke_api_key
    from app.startup import open_database

    database = open_database(settings)
    try:
        owner = _user_id(database, args.user)
        with database.session() as session:
            revoke_api_key(session=session, user_id=owner, name=args.name)
    except (ApiKeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"revoked {args.name}")
    return 0


def _bank_list(_args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import func, select

    from app.models import Question, SourceFile, User
    from app.startup import open_database

    database = open_database(settings)
    with database.session(write=False) as session:
        rows = session.execute(
            select(SourceFile.name, User.name, SourceFile.published, func.count(Question.id))
            .join(User, User.id == SourceFile.user_id)
            .outerjoin(
                Question,
                (Question.source_file_id == SourceFile.id) & Question.retired.is_(False),
            )
            .group_by(SourceFile.id, User.name)
            .order_by(SourceFile.name, User.name)
        ).all()
    database.dispose()
    for name, owner, published, questions in rows:
        shared = "published" if published else "private"
        print(f"{name}\t{owner}\t{shared}\t{questions} questions")
    return 0


def _bank_publish(args: argparse.Namespace, settings: Settings) -> int:
    from app.material.importer import publish_bank
    from app.startup import open_database

    database = open_database(settings)
    try:
        owner = _user_id(database, args.user)
        with database.session() as session:
            found = publish_bank(
                session=session, user_id=owner, name=args.name, published=not args.withdraw
            )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    if not found:
        print(f"error: that user has no bank called {args.name!r}", file=sys.stderr)
        return 1
    print(f"{args.name}: {'private' if args.withdraw else 'published'}")
    return 0


def _user_id(database: Database, name: str | None) -> int:
    """The id of the user called `name`, or of the first user; ValueError when there is none."""
    from app.accounts.users import first_user, get_user

    with database.session(write=False) as session:
        user = get_user(session=session, name=name) if name else first_user(session=session)
        if user is None:
            raise ValueError("there is no user yet")
        return user.id


def _read_password(*, confirm: bool) -> str:
    """A password from the terminal (asked twice) or the first line of stdin; never argv."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != first:
        raise ValueError("the passwords differ")
    return first


def _user_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.passwords import PasswordError, Passwords, new_password_hash
    from app.accounts.users import AccountError, check_name, create_user
    from app.startup import open_database

    try:
        name = check_name(args.name)
        password_hash = new_password_hash(
            Passwords.from_settings(settings), _read_password(confirm=True)
        )
    except (AccountError, PasswordError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    database = open_database(settings)
    try:
        with database.session() as session:
            user, claimed = create_user(
                session=session, name=name, password_hash=password_hash, admin=args.admin
            )
            admin = user.is_admin
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    role = "admin" if admin else "user"
    if claimed:
        print(f"created {role} {name} (the first account: it keeps the local user's history)")
    else:
        print(f"created {role} {name}")
    return 0


def _user_list(_args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.users import list_users
    from app.startup import open_database

    database = open_database(settings)
    with database.session(write=False) as session:
        users = list_users(session=session)
        rows = [
            (u.name, "admin" if u.is_admin else "user", u.password_hash is not None, u.created_at)
            for u in users
        ]
    database.dispose()
    for name, role, can_sign_in, created in rows:
        sign_in = "can sign in" if can_sign_in else "no password"
        print(f"{name}\t{role}\t{sign_in}\tcreated {created:%Y-%m-%d}")
    return 0


def _user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.passwords import PasswordError, Passwords, new_password_hash
    from app.accounts.users import AccountError, get_user, set_password
    from app.startup import open_database

    try:
        password_hash = new_password_hash(
            Passwords.from_settings(settings), _read_password(confirm=True)
        )
    except (PasswordError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    database = open_database(settings)
    try:
        with database.session() as session:
            user = get_user(session=session, name=args.name)
            set_password(session=session, user_id=user.id, password_hash=password_hash)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"password of {args.name} set; signed out everywhere")
    return 0


def _user_delete(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts.users import AccountError, delete_user
    from app.startup import open_database

    if not args.yes:
        if not sys.stdin.isatty():
            print("error: add --yes to delete without a terminal to confirm on", file=sys.stderr)
            return 2
        answer = input(f"Delete {args.name} and all their answers? Type the name to confirm: ")
        if answer.strip() != args.name:
            print("not deleted", file=sys.stderr)
            return 1
    database = open_database(settings)
    try:
        with database.session() as session:
            delete_user(session=session, name=args.name)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"deleted {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
