"""Logging for every command: text or JSON lines on stderr, and on lines about a connection, its
Connection-Id."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

# The Connection-Id of the connection the running task serves; a record made there carries it.
CONNECTION_ID: ContextVar[str | None] = ContextVar("liveqa_connection_id", default=None)
# One line per HTTP request when `--access-log` is on.
ACCESS = logging.getLogger("liveqa.access")
HANDLER_NAME = "liveqa"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ConnectionIdFilter(logging.Filter):
    """Set `record.connection_id` from `extra=` or else from `CONNECTION_ID`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "connection_id", None) is None:
            record.connection_id = CONNECTION_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT`, then `[connection ID]` when the line is about a connection."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        connection_id = getattr(record, "connection_id", None)
        if connection_id is None:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [connection {connection_id}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and connection_id, exception
    when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        connection_id = getattr(record, "connection_id", None)
        if connection_id is not None:
            line["connection_id"] = str(connection_id)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup(level: str = "info", log_format: str = "text", access_log: bool = False) -> None:
    """Send every record at `level` or above to stderr in `log_format` (text or json);
    `access_log`: also one line per HTTP request, whatever the level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ConnectionIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    # Only a handler set up here before is replaced: a test's log capture stays.
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    ACCESS.setLevel(logging.INFO if access_log else logging.CRITICAL + 1)
