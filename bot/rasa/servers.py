"""How to start Rasa and the action server for these settings (bot layer)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.processes import ServerSpec
from bot.rasa.training import RASA_VENV, rasa_environment
from services.config import Settings
from services.paths import NLU_DIR, PROJECT_ROOT, VAR_DIR


def action_server_url(settings: Settings) -> str:
    """Base URL of the action server."""
    return f"http://{settings.action_server_host}:{settings.action_server_port}"


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings a child process needs to see exactly what this process sees (secret key included)."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    old_secrets = settings.old_secret_keys.get_secret_value() if settings.old_secret_keys else ""
    return {
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": secret,
        "OLD_SECRET_KEYS": old_secrets,
        "DEFAULT_LOCALE": settings.default_locale,
        "DATA_RETENTION_DAYS": str(settings.data_retention_days),
    }


def action_server_spec(settings: Settings) -> ServerSpec:
    """The action server (custom actions and /nlg) on ACTION_SERVER_HOST:ACTION_SERVER_PORT."""
    return ServerSpec(
        name="action server",
        command=[
            sys.executable,
            "-m",
            "nlu.actions.server",
            "--host",
            settings.action_server_host,
            "--port",
            str(settings.action_server_port),
        ],
        health_url=f"{action_server_url(settings)}/health",
        log_file=VAR_DIR / "log" / "action-server.log",
        cwd=PROJECT_ROOT,
        environment=settings_environment(settings),
        ready_timeout=60.0,
    )


def rasa_tracker_store_url(settings: Settings) -> str | None:
    """TRACKER_STORE_URL as Rasa's SQLAlchemy 1.4 and psycopg2 read it (a SQLite path made absolute: Rasa runs in
    nlu/); None when Rasa keeps conversations in memory."""
    url = settings.tracker_database_url()
    if url is None:
        return None
    if url.startswith("sqlite:///"):
        return f"sqlite:///{Path(url.removeprefix('sqlite:///')).resolve()}"
    return "postgresql://" + url.removeprefix("postgresql+psycopg://")


def rasa_server_spec(settings: Settings, model: Path, *, api_token: str | None = None) -> ServerSpec:
    """Rasa with the REST channel, bound where RASA_URL points; its HTTP API only with a token (benchmarks).
    Conversations go to the SQL tracker store at TRACKER_STORE_URL, or stay in Rasa's memory when it is "memory"."""
    address = urlsplit(settings.rasa_url)
    actions = action_server_url(settings)
    environment = rasa_environment()
    environment.update(YOLDOSH_ACTION_ENDPOINT=f"{actions}/webhook", YOLDOSH_NLG_ENDPOINT=f"{actions}/nlg")
    tracker_store = rasa_tracker_store_url(settings)
    if tracker_store is not None:
        environment.update(YOLDOSH_TRACKER_STORE_URL=tracker_store)
    endpoints = NLU_DIR / ("endpoints.yml" if tracker_store is None else "endpoints-sql.yml")
    return ServerSpec(
        name="Rasa",
        command=[
            str(RASA_VENV / "bin" / "rasa"),
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(NLU_DIR / "credentials.yml"),
            "--interface",
            address.hostname or "127.0.0.1",
            "--port",
            str(address.port or 5005),
            *(("--enable-api", "--auth-token", api_token) if api_token else ()),
        ],
        health_url=f"{settings.rasa_url}/",
        log_file=VAR_DIR / "log" / "rasa.log",
        cwd=NLU_DIR,
        environment=environment,
        ready_timeout=240.0,
    )
