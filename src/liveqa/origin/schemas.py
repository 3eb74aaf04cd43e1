"""REST request and error bodies: msgspec Structs that both validate requests and document them."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from liveqa.origin.limits import DisplayName, RoomId, RoomName, ThemeColor

Key = Annotated[str, msgspec.Meta(max_length=128)]


class Request(
    msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True, kw_only=True
):
    """Base of request bodies: camelCase, unknown fields refused."""


class SessionRequest(Request, frozen=True, kw_only=True):
    """Start a session; a display name is optional (a guest name is chosen otherwise)."""

    display_name: DisplayName | UnsetType = UNSET


class RenameRequest(Request, frozen=True, kw_only=True):
    """Change one's display name."""

    display_name: DisplayName


class CreateRoomRequest(Request, frozen=True, kw_only=True):
    """Create a room; its creator becomes host."""

    room_id: RoomId
    display_name: RoomName | UnsetType = UNSET
    theme_color: ThemeColor | UnsetType = UNSET


class HostKeyRequest(Request, frozen=True, kw_only=True):
    """Become a host of a room with its host key."""

    host_key: Key


class RotateHostKeyRequest(Request, frozen=True, kw_only=True):
    """Replace the host key; co-hosts who joined with the old one lose their rights unless kept."""

    keep_cohosts: bool = False


class DeleteRoomRequest(Request, frozen=True, kw_only=True):
    """Delete a room: its id, typed again, confirms it."""

    confirm_room_id: Key


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A stable machine-readable code and a message for people."""

    code: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every error response: `{"error": {"code", "message"}}`."""

    error: ErrorDetail
