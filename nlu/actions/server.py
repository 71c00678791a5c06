"""Action server entry point (transport layer): rasa-sdk actions plus /nlg, one database engine per process.

Run: `python -m nlu.actions.server --host 127.0.0.1 --port 5055` (`yoldosh run` does this).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request

from nlu.actions import runtime
from nlu.actions.nlg import load_responses, render_response
from services.config import load_settings
from services.crypto.keys import KeyRing
from services.i18n.catalogs import require_all_catalogs
from services.paths import NLU_DIR
from services.storage.database import create_database_engine, session_factory

log = logging.getLogger(__name__)


async def _nlg(request: Request) -> Any:
    body = request.json or {}
    settings = runtime.current()
    return response.json(render_response(request.app.ctx.responses, body, settings.default_locale))


async def _start(app: Sanic) -> None:
    settings = load_settings()
    require_all_catalogs()
    app.ctx.engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    app.ctx.responses = load_responses(NLU_DIR / "domain")
    runtime.install(
        runtime.ActionRuntime(
            sessions=session_factory(app.ctx.engine),
            default_locale=settings.default_locale,
            retention_days=settings.data_retention_days,
        )
    )


async def _stop(app: Sanic) -> None:
    runtime.install(None)
    app.ctx.engine.dispose()


def create_action_app(name: str = "yoldosh_actions") -> Sanic:
    """The action server app: rasa-sdk's webhook and health, Yoldosh's /nlg, engine set up at start."""
    executor = ActionExecutor()
    executor.register_package("nlu.actions")
    app = create_app(executor, cors_origins=None)
    app.add_route(_nlg, "/nlg", methods=["POST"])
    app.register_listener(_start, "before_server_start")
    app.register_listener(_stop, "after_server_stop")
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the actions on one process."""
    parser = argparse.ArgumentParser(description="Yoldosh action server (custom actions and NLG).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_action_app()
    app.prepare(host=arguments.host, port=arguments.port, single_process=True, access_log=False, motd=False)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()
