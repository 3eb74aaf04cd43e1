"""Refusals: the one exception the domain raises, carrying an error code and an HTTP status."""

from __future__ import annotations

import math


class Refused(Exception):
    """An action refused for a reason the user can act on; `code` is stable, `message` human."""

    def __init__(
        self, code: str, message: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        # Seconds after which the same request may succeed (a REST answer's Retry-After).
        self.retry_after = retry_after


def invalid(message: str, code: str = "invalid_request") -> Refused:
    """400: the request or message is malformed or out of limits."""
    return Refused(code, message, 400)


def unauthenticated(message: str = "no valid session: POST /api/session first") -> Refused:
    """401: no participant could be identified."""
    return Refused("unauthenticated", message, 401)


def forbidden(message: str, code: str = "forbidden") -> Refused:
    """403: the participant may not do this."""
    return Refused(code, message, 403)


def not_found(message: str, code: str = "not_found") -> Refused:
    """404: the room or question does not exist (or is not visible to this participant)."""
    return Refused(code, message, 404)


def conflict(message: str, code: str = "conflict") -> Refused:
    """409: the request conflicts with the current state."""
    return Refused(code, message, 409)


def rate_limited(what: str, retry_after: float) -> Refused:
    """429: too many actions of one kind in a short time."""
    seconds = max(1, math.ceil(retry_after))
    return Refused("rate_limited", f"too many {what}: try again in {seconds} s", 429, seconds)
