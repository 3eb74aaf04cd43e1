from __future__ import annotations

from dataclasses import fields

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from liveqa.edge.metrics import LATENCY_BUCKETS, PREFIX, EdgeMetrics


def samples(metrics: EdgeMetrics) -> dict[str, list[Sample]]:
    families = text_string_to_metric_families(metrics.render().decode())
    return {family.name: family.samples for family in families}


def test_fresh_metrics_parse_and_are_zero() -> None:
    parsed = samples(EdgeMetrics())
    assert parsed[PREFIX + "connections_open"][0].value == 0
    assert parsed[PREFIX + "deliveries"][0].value == 0


def test_every_int_field_is_exported_with_its_value() -> None:
    metrics = EdgeMetrics()
    names = [spec.name for spec in fields(metrics) if not spec.name.startswith("_")]
    for value, name in enumerate(names, start=1):
        setattr(metrics, name, value)
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }
    for value, name in enumerate(names, start=1):
        exported = "connections_open" if name == "connections" else name
        assert values[PREFIX + exported] == value


def test_counters_and_gauges_are_typed() -> None:
    families = {f.name: f for f in text_string_to_metric_families(EdgeMetrics().render().decode())}
    assert families[PREFIX + "connections_open"].type == "gauge"
    assert families[PREFIX + "subscriptions"].type == "gauge"
    assert families[PREFIX + "deliveries"].type == "counter"
    assert families[PREFIX + "slow_closed"].type == "counter"
    assert families[PREFIX + "deliveries"].documentation


def test_hot_path_increments_show_up() -> None:
    metrics = EdgeMetrics()
    metrics.deliveries_total += 5000
    metrics.connections = 3
    metrics.connections -= 1
    parsed = samples(metrics)
    assert parsed[PREFIX + "deliveries"][0].value == 5000
    assert parsed[PREFIX + "connections_open"][0].value == 2


def test_unknown_attribute_is_an_error() -> None:
    metrics = EdgeMetrics()
    try:
        metrics.delivery_total = 1  # type: ignore[attr-defined]
    except AttributeError:
        return
    raise AssertionError("a misspelt metric must not be silently created")


def test_latency_histogram_is_cumulative() -> None:
    metrics = EdgeMetrics()
    for seconds in (0.0005, 0.001, 0.003, 0.2, 30.0):
        metrics.observe_origin_latency(seconds)
    family = samples(metrics)[PREFIX + "origin_request_duration_seconds"]
    buckets = {s.labels["le"]: s.value for s in family if s.name.endswith("_bucket")}
    assert buckets["0.001"] == 2  # upper bounds are inclusive
    assert buckets["0.0025"] == 2
    assert buckets["0.005"] == 3
    assert buckets["0.25"] == 4
    assert buckets["10.0"] == 4
    assert buckets["+Inf"] == 5
    assert len(buckets) == len(LATENCY_BUCKETS) + 1
    count = next(s.value for s in family if s.name.endswith("_count"))
    total = next(s.value for s in family if s.name.endswith("_sum"))
    assert count == 5
    assert abs(total - 30.2045) < 1e-9
