"""RFC 6455 close codes: their names, and which ones an endpoint may put in a close frame.

Neutral ground for the edge's WebSocket layer, GRIP (a publish may close sockets) and the origin.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    """The close codes of RFC 6455 section 7.4.1 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


# 1005, 1006 and 1015 only report what happened locally; 1004 is reserved.
_SENDABLE = frozenset(
    code
    for code in CloseCode
    if code not in (CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE)
)


def is_sendable_close_code(code: int) -> bool:
    """True for codes an endpoint may send in a close frame (1000-1003, 1007-1014, 3000-4999)."""
    return code in _SENDABLE or 3000 <= code <= 4999
