"""Debian's Pushpin on loopback, the reference the compat and end-to-end tests compare with.

The bench owns the runner so that the tests and `liveqa bench compare` run one Pushpin
configuration; the tests reach it only here.
"""

from __future__ import annotations

from liveqa_bench.pushpin import Pushpin

__all__ = ["Pushpin"]
