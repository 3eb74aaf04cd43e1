"""Loopback ports for the processes and servers tests start.

The bench owns the picker (its runs need the same guarantee); the tests reach it only here.
"""

from __future__ import annotations

from liveqa_bench.ports import free_port

__all__ = ["free_port"]
