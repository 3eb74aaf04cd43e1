"""The origin's `/metrics`: plain counters kept by the request path, the store and the publisher,
read by a prometheus_client collector only when scraped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from liveqa.origin.publisher import Publisher
from liveqa.process import add_process_collectors
from liveqa.store.database import DURATION_BUCKETS, Database, Durations

PREFIX = "liveqa_origin_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Responses:
    """Responses sent, by status class (`2xx` ...), as plain ints."""

    __slots__ = ("by_class",)

    def __init__(self) -> None:
        self.by_class = [0] * 6

    def count(self, status: int) -> None:
        """Count one response with `status`."""
        self.by_class[min(status // 100, 5)] += 1


def _histogram(family: HistogramMetricFamily, kind: str, durations: Durations) -> None:
    buckets: list[tuple[str, float]] = []
    cumulative = 0
    for bound, count in zip(DURATION_BUCKETS, durations.counts, strict=False):
        cumulative += count
        buckets.append((repr(bound), cumulative))
    buckets.append(("+Inf", cumulative + durations.counts[-1]))
    family.add_metric([kind], buckets, durations.total)


class OriginCollector(Collector):
    """The counters of one origin app, turned into metric families at scrape time."""

    def __init__(
        self, responses: Responses, database: Database, publisher: Publisher | None
    ) -> None:
        self.responses = responses
        self.database = database
        self.publisher = publisher

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            PREFIX + "http_responses", "HTTP responses sent, by status class.", labels=["code"]
        )
        for index, count in enumerate(self.responses.by_class):
            if index:
                requests.add_metric([f"{index}xx"], count)
        yield requests
        durations = HistogramMetricFamily(
            PREFIX + "database_transaction_seconds",
            "Time from asking for a database transaction to its end (a write's wait for its "
            "turn included); _count of kind=write is the number of writes.",
            labels=["kind"],
        )
        _histogram(durations, "read", self.database.reads)
        _histogram(durations, "write", self.database.writes)
        yield durations
        failed = CounterMetricFamily(
            PREFIX + "database_rollbacks",
            "Database transactions ended by an error or a refusal, so rolled back.",
            labels=["kind"],
        )
        failed.add_metric(["read"], self.database.reads.failed)
        failed.add_metric(["write"], self.database.writes.failed)
        yield failed
        yield from self._publishes()

    def _publishes(self) -> Iterator[CounterMetricFamily]:
        families = {
            "requests": CounterMetricFamily(
                PREFIX + "publish_requests",
                "Publish requests sent to a GRIP proxy, retries included.",
                labels=["target"],
            ),
            "failed_requests": CounterMetricFamily(
                PREFIX + "publish_failures",
                "Publish requests that failed (unreachable, timeout, refused).",
                labels=["target"],
            ),
            "items": CounterMetricFamily(
                PREFIX + "published_items", "Items a GRIP proxy accepted.", labels=["target"]
            ),
            "failed_items": CounterMetricFamily(
                PREFIX + "publish_lost_items",
                "Items given up after their publish request failed twice.",
                labels=["target"],
            ),
        }
        stats = self.publisher.stats if self.publisher is not None else {}
        for url, counts in stats.items():
            for name, family in families.items():
                family.add_metric([url], getattr(counts, name))
        yield from families.values()


class OriginMetrics:
    """What an origin's `/metrics` shows: its own counters and the process's."""

    def __init__(
        self, responses: Responses, database: Database, publisher: Publisher | None
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(OriginCollector(responses, database, publisher))
        add_process_collectors(self.registry)

    def render(self) -> bytes:
        """The Prometheus text exposition format 0.0.4."""
        return generate_latest(self.registry)
