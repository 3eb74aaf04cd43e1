"""`/healthz` (the process answers) and `/readyz` (it can reach its database), for systemd,
load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from sqlalchemy import text

from liveqa.store.database import Database

log = logging.getLogger(__name__)

# Longest wait for the database's answer; a probe usually times out after 1 s or more.
READY_TIMEOUT = 1.0
# The paths are public through the proxy: one database round trip a second at most, however
# many ask.
READY_CACHE = 1.0
TEXT = "text/plain"


async def healthz(_request: web.Request) -> web.Response:
    """200 while the process serves requests."""
    return web.Response(text="ok\n", content_type=TEXT)


class Readiness:
    """Whether the database answers `SELECT 1`, asked at most once per `READY_CACHE` seconds."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._checked = float("-inf")
        self._problem: str | None = None
        self._lock = asyncio.Lock()

    async def problem(self) -> str | None:
        """None when the database answers, else what is wrong."""
        async with self._lock:
            if time.monotonic() - self._checked >= READY_CACHE:
                self._problem = await self._check()
                self._checked = time.monotonic()
            return self._problem

    async def _check(self) -> str | None:
        try:
            async with asyncio.timeout(READY_TIMEOUT), self.database.engine.connect() as db:
                await db.execute(text("SELECT 1"))
        except TimeoutError:
            return f"the database did not answer within {READY_TIMEOUT:g} s"
        except Exception as exc:
            log.warning("readiness: the database cannot be reached: %s", exc)
            return "the database cannot be reached"
        return None

    async def readyz(self, _request: web.Request) -> web.Response:
        """200 when the database answers, else 503 saying why."""
        problem = await self.problem()
        if problem is None:
            return web.Response(text="ready\n", content_type=TEXT)
        return web.Response(status=503, text=f"not ready: {problem}\n", content_type=TEXT)
