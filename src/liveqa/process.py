"""Process metrics for the `/metrics` of the edge and the origin: CPU, memory, open files
(from /proc), the Python version and the garbage collector, all read when scraped."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)


def add_process_collectors(registry: CollectorRegistry) -> None:
    """Register prometheus_client's process, platform and GC collectors with `registry`."""
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)


def process_metrics() -> bytes:
    """This process's metrics in the Prometheus text exposition format 0.0.4."""
    registry = CollectorRegistry(auto_describe=False)
    add_process_collectors(registry)
    return generate_latest(registry)
