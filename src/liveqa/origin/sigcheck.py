"""Whether a request came through our GRIP proxy: its Grip-Sig, checked with a little leeway."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from liveqa.grip.sig import sig_problem
from liveqa.origin.context import SigVerifier
from liveqa.origin.throttle import ThrottledLog

# Seconds of clock skew between proxy and origin forgiven on `exp`.
SIG_LEEWAY = 60.0

log = logging.getLogger("liveqa.origin")


def key_verifier(keys: Sequence[tuple[bytes, str | None]]) -> SigVerifier:
    """Accept a Grip-Sig that one of the (key, issuer) pairs validates; log why one is refused,
    since a proxy whose every request gets 401 (a skewed clock, a wrong key) is otherwise silent."""
    refusals = ThrottledLog(log)

    def verify(token: str | None) -> bool:
        if not token:
            return False
        problems = [sig_problem(token, key, iss, leeway=SIG_LEEWAY) for key, iss in keys]
        if None in problems:
            return True
        refusals.warning("grip-sig", "refused a Grip-Sig: %s", "; ".join(map(str, problems)))
        return False

    return verify
