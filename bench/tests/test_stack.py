"""Reading the edge's /metrics text."""

from __future__ import annotations

from liveqa_bench.stack import unlabelled_samples

EXPOSITION = """\
# HELP liveqa_edge_connections_open Client WebSocket connections open.
# TYPE liveqa_edge_connections_open gauge
liveqa_edge_connections_open 3.0
liveqa_edge_origin_request_seconds_bucket{le="0.005"} 7.0
liveqa_edge_deliveries_total 1500.0

"""


def test_unlabelled_samples_skip_comments_labels_and_blank_lines() -> None:
    assert unlabelled_samples(EXPOSITION) == {
        "liveqa_edge_connections_open": 3.0,
        "liveqa_edge_deliveries_total": 1500.0,
    }
