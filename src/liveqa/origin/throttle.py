"""Log lines for problems that repeat on every request: at most one per kind and interval."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import InterfaceError, OperationalError

# The machine or the store failed (disk full, database restarting), not the code: its traceback
# says nothing, and it repeats on every request until it is over.
_OUTAGES = (OperationalError, InterfaceError, OSError, TimeoutError)
MAX_KINDS = 1000


class ThrottledLog:
    """Logs each kind of problem at most once per `interval` seconds, counting the ones it held."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        # kind -> (when it was last logged, how many were held back since)
        self._kinds: dict[str, tuple[float, int]] = {}

    def log(
        self,
        level: int,
        kind: str,
        message: str,
        *args: object,
        exc_info: BaseException | None = None,
    ) -> bool:
        """Log `message` unless `kind` was logged in the last interval; True if it was logged."""
        now = self.clock()
        last, held = self._kinds.get(kind, (-self.interval, 0))
        if now - last < self.interval:
            self._kinds[kind] = (last, held + 1)
            return False
        if held:
            message += f" ({held} more like it in the last {now - last:.0f} s)"
        if len(self._kinds) >= MAX_KINDS:
            self._kinds.clear()
        self._kinds[kind] = (now, 0)
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True

    def warning(self, kind: str, message: str, *args: object) -> bool:
        """`log` at WARNING."""
        return self.log(logging.WARNING, kind, message, *args)

    def failure(self, kind: str, message: str, error: BaseException) -> bool:
        """`message` failed: one line naming the error for an outage, the traceback for a bug."""
        kind = f"{kind}:{type(error).__name__}"
        if isinstance(error, _OUTAGES):
            lines = str(error).splitlines()
            detail = f"{type(error).__name__}: {lines[0][:200] if lines else ''}"
            return self.log(logging.ERROR, kind, "%s: %s", message, detail)
        return self.log(logging.ERROR, kind, "%s", message, exc_info=error)
