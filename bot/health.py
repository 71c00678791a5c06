"""Health, readiness and metrics over HTTP for the bot process (bot layer): /healthz, /readyz, /metrics.

- /healthz: the process and its event loop answer (200), nothing else is asked.
- /readyz: the database answers a `SELECT 1` and Rasa answers its root URL: 200 when both do, else 503; the JSON
  body says which. With Rasa down the bot still serves (the menu works without it), it is only not *ready*.
- /metrics: Prometheus text; the outbox backlog is counted at scrape time (one COUNT).

Served on HEALTH_LISTEN:HEALTH_PORT (127.0.0.1 unless set) in the bot's own event loop, started and stopped with
the Telegram application. Nothing here reads or shows a user's data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.runtime import Runtime
from services.outbox.service import count_backlog
from services.storage.base import utcnow
from services.storage.database import read_transaction

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


def database_reachable(engine: Engine) -> bool:
    """The database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means not ready; the type is enough to log
        log.warning("readiness: database unreachable (%s)", type(error).__name__)
        return False
    return True


async def rasa_reachable(client: httpx.AsyncClient, rasa_url: str) -> bool:
    """Rasa answers its root URL (the one route served with its HTTP API off)."""
    try:
        response = await client.get(f"{rasa_url}/", timeout=CHECK_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        log.warning("readiness: Rasa unreachable (%s)", type(error).__name__)
        return False
    return response.is_success


class OutboxBacklog(Collector):
    """yoldosh_outbox_backlog, counted when scraped: notifications due and not yet delivered."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One COUNT; nothing when the database does not answer (readiness says so)."""
        try:
            with read_transaction(self._sessions) as session:
                backlog = count_backlog(session, now=utcnow())
        except Exception as error:
            log.warning("metrics: outbox backlog not counted (%s)", type(error).__name__)
            return
        yield GaugeMetricFamily(
            "yoldosh_outbox_backlog", "Notifications due and not delivered yet (pending or claimed)", value=backlog
        )


class HealthServer:
    """The tiny HTTP server; `start()` and `stop()` run in the bot's event loop."""

    def __init__(
        self,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        rasa_url: str,
        listen: str = "127.0.0.1",
        port: int,
    ) -> None:
        self.listen, self.port = listen, port
        self._engine, self._rasa_url = engine, rasa_url
        self._scraped = CollectorRegistry(auto_describe=False)
        self._scraped.register(OutboxBacklog(sessions))
        self._runner: web.AppRunner | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{self.listen}:{self.port}"

    def app(self) -> web.Application:
        """The aiohttp application with the three routes."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        """Listen on LISTEN:PORT."""
        self._client = httpx.AsyncClient()
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        log.info("health and metrics on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening and close the Rasa client."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        assert self._client is not None
        database, rasa = await asyncio.gather(
            asyncio.to_thread(database_reachable, self._engine), rasa_reachable(self._client, self._rasa_url)
        )
        checks = {"database": database, "rasa": rasa}
        return web.json_response(
            {"status": "ready" if all(checks.values()) else "not ready", "checks": checks},
            status=200 if all(checks.values()) else 503,
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = await asyncio.to_thread(lambda: generate_latest(REGISTRY) + generate_latest(self._scraped))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def serve_alongside(application: Application[Any, Any, Any, Any, Any, Any], server: HealthServer) -> None:
    """Start `server` before the Telegram application's own start-up hook and stop it after its stop hook."""
    post_init, post_stop = application.post_init, application.post_stop

    async def started(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await server.start()
        if post_init is not None:
            await post_init(app)

    async def stopped(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if post_stop is not None:
            await post_stop(app)
        await server.stop()

    application.post_init = started
    application.post_stop = stopped


def attach(application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> HealthServer | None:
    """Serve health, readiness and metrics alongside the application when HEALTH_PORT is set."""
    settings = runtime.settings
    if settings.health_port is None:
        return None
    server = HealthServer(
        engine=runtime.engine,
        sessions=runtime.sessions,
        rasa_url=settings.rasa_url,
        listen=settings.health_listen,
        port=settings.health_port,
    )
    serve_alongside(application, server)
    return server
