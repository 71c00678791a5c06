"""`yoldosh counselor …` (bot layer): register, list and remove the people who work the counselors' desk."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine

from services.config import load_settings
from services.crypto.keys import KeyRing
from services.escalation.counselors import InvalidAliasError, add_counselor, list_counselors, remove_counselor
from services.escalation.models import CounselorRole
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database


def _engine() -> Engine:
    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    upgrade_database(engine)
    return engine


def _add(arguments: argparse.Namespace) -> int:
    engine = _engine()
    role = CounselorRole.SUPERVISOR if arguments.supervisor else CounselorRole.COUNSELOR
    try:
        with transaction(session_factory(engine)) as session:
            counselor = add_counselor(
                session,
                telegram_user_id=arguments.telegram_id,
                alias=arguments.alias,
                role=role,
                on_call=arguments.on_call,
            )
    except InvalidAliasError as error:
        print(f"yoldosh: {error}")
        return 1
    finally:
        engine.dispose()
    on_call = ", on call out of hours" if counselor.on_call else ""
    print(f"counselor {counselor.id} registered as {counselor.alias!r} ({counselor.role.value}{on_call})")
    return 0


def _list(_arguments: argparse.Namespace) -> int:
    engine = _engine()
    try:
        with transaction(session_factory(engine)) as session:
            counselors = list_counselors(session)
    finally:
        engine.dispose()
    if not counselors:
        print("no counselors registered: `yoldosh counselor add TELEGRAM_ID --alias NAME`")
    for counselor in counselors:
        state = "active" if counselor.active else "removed"
        on_call = " on-call" if counselor.on_call else ""
        print(f"{counselor.id:>4}  {counselor.alias:<32} {counselor.role.value:<10} {state}{on_call}")
    return 0


def _remove(arguments: argparse.Namespace) -> int:
    engine = _engine()
    try:
        with transaction(session_factory(engine)) as session:
            removed = remove_counselor(session, telegram_user_id=arguments.telegram_id)
    finally:
        engine.dispose()
    print("counselor removed (kept for the audit log)" if removed else "no counselor has this Telegram id")
    return 0 if removed else 1


def _telegram_id(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a Telegram user id (a positive number)")
    return int(value)


def register(commands: Any) -> None:
    """Add `counselor add`, `counselor list` and `counselor remove`."""
    counselor = commands.add_parser(
        "counselor", help="who works the counselors' desk", description="Register the counselors and supervisors."
    )
    actions = counselor.add_subparsers(dest="counselor_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="register (or update) a counselor",
        description="Register a Telegram account as a counselor; users only ever see the alias.",
    )
    add.add_argument("telegram_id", type=_telegram_id, help="the counselor's numeric Telegram user id")
    add.add_argument("--alias", required=True, help="the name users see, e.g. 'Dilnoza' (no surname needed)")
    add.add_argument("--supervisor", action="store_true", help="may also transfer and close others' cases")
    add.add_argument("--on-call", action="store_true", help="alerted privately about urgent cases out of hours")
    add.set_defaults(handler=_add)
    actions.add_parser(
        "list", help="list registered counselors", description="List counselors: id, alias, role, state."
    ).set_defaults(handler=_list)
    remove = actions.add_parser(
        "remove", help="remove a counselor", description="Deactivate a counselor (kept for the audit log)."
    )
    remove.add_argument("telegram_id", type=_telegram_id, help="the counselor's numeric Telegram user id")
    remove.set_defaults(handler=_remove)
