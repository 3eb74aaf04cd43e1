"""The participant cookie: a server-issued id signed with HMAC-SHA256, HttpOnly, SameSite=Lax."""

from __future__ import annotations

import base64
import hashlib
import hmac
from http.cookies import CookieError, SimpleCookie

COOKIE_NAME = "liveqa_session"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept (RFC 6265bis)
_MAX_COOKIE_VALUE = 256


class SessionSigner:
    """Signs participant ids into cookie values and verifies them in constant time."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._secret = secret
        # A key of its own, so a socket binding can never pass for a cookie or the reverse.
        self._socket_key = hmac.new(secret, b"liveqa socket identity", hashlib.sha256).digest()

    def _mac(self, participant_id: str) -> str:
        digest = hmac.new(self._secret, participant_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, participant_id: str) -> str:
        """The cookie value for a participant."""
        return f"{participant_id}.{self._mac(participant_id)}"

    def verify(self, value: str | None) -> str | None:
        """The participant id of a genuine cookie value, else None."""
        if not value or len(value) > _MAX_COOKIE_VALUE:
            return None
        participant_id, _, mac = value.rpartition(".")
        if not participant_id or not hmac.compare_digest(mac, self._mac(participant_id)):
            return None
        return participant_id

    def bind_socket(self, connection_id: str, participant_id: str, room_id: str) -> str:
        """A MAC of the identity a socket was given, bound to the proxy's Connection-Id."""
        message = "\0".join((connection_id, participant_id, room_id)).encode()
        digest = hmac.new(self._socket_key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def is_bound(
        self, mac: str | None, connection_id: str, participant_id: str, room_id: str
    ) -> bool:
        """Whether `mac` is the binding of this identity to this connection (constant time)."""
        expected = self.bind_socket(connection_id, participant_id, room_id)
        return mac is not None and hmac.compare_digest(mac.encode(), expected.encode())

    def from_cookie_header(self, header: str | None) -> str | None:
        """The participant id from a raw `Cookie` header (as a proxy forwards it), else None."""
        if not header:
            return None
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(header)
        except CookieError:
            return None
        morsel = cookies.get(COOKIE_NAME)
        return None if morsel is None else self.verify(morsel.value)
