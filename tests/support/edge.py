"""The `liveqa edge` command line tests start in front of an origin on loopback.

The bench owns it (its runs start the same edge); the tests reach it only here.
"""

from __future__ import annotations

from liveqa_bench.processes import edge_command

__all__ = ["edge_command"]
