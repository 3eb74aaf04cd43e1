"""`Keep-Alive-Interval`: an idle connection makes the proxy send empty-body requests.

The probe connection is opened when each proxy starts (see conftest), and this module runs last
in the package, so the 20 s interval elapses while the other tests run.
"""

from __future__ import annotations

import time

import pytest

from .running import KEEP_ALIVE_INTERVAL, Running

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]


async def test_keep_alive_interval_sends_empty_requests(running: Running) -> None:
    probe = running.probe
    assert probe is not None
    opened = await probe.script.next()
    assert opened.events == [("OPEN", None)]
    remaining = probe.opened_at + KEEP_ALIVE_INTERVAL + 5 - time.monotonic()
    keep_alive = await probe.script.next(max(remaining, 1.0))
    assert keep_alive.body == b""
    assert keep_alive.headers["Content-Type"] == "application/websocket-events"
    assert keep_alive.connection_id == opened.connection_id
    assert keep_alive.sig_valid
    # The probe was idle the whole time: the request is due after the interval, not before.
    assert keep_alive.received_at - opened.received_at > KEEP_ALIVE_INTERVAL - 1
