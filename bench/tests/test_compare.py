"""End-to-end comparison runs against Pushpin and `liveqa edge` (or a stand-in that fails)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from liveqa.cli import main
from liveqa_bench import compare as compare_module
from liveqa_bench.processes import ChildProcess
from liveqa_bench.rig import Load

pytestmark = pytest.mark.pushpin


async def test_runs_each_scenario_on_a_fresh_pushpin() -> None:
    results, errors = await compare_module.compare(
        Load(connections=10, in_flight=5, timeout=20), ["connect"], ["pushpin"], 1, "k" * 32
    )
    assert errors == []
    assert [(r.scenario, r.target, r.figures["connections"]) for r in results] == [
        ("connect", "pushpin", 10)
    ]


async def test_both_proxies_deliver_the_same_load() -> None:
    results, errors = await compare_module.compare(
        Load(connections=10, burst=5, timeout=20, idle=3), ["fanout"], ["pushpin", "liveqa"], 2,
        "k" * 32,
    )  # fmt: skip
    assert errors == []
    assert [r.target for r in results] == ["pushpin", "liveqa edge"]
    for result in results:
        assert (result.figures["delivered"], result.figures["lost"]) == (50, 0)


def test_command_prints_json_and_reports_a_proxy_that_does_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken_edge(origin_port: int, http_port: int, publish_port: int, key: str) -> ChildProcess:
        command = [sys.executable, "-c", "raise SystemExit('no edge here')"]
        return ChildProcess("edge", command, [http_port])

    monkeypatch.setattr(compare_module, "edge_process", broken_edge)
    argv = ["bench", "compare", "--scenarios", "connect", "-n", "10", "--workers", "1", "--json"]
    assert main([*argv, "--chart", str(tmp_path / "chart.png")]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert [r["target"] for r in document["results"]] == ["pushpin"]
    assert document["errors"][0].startswith("liveqa (connect): RuntimeError: edge exited")
    assert "no edge here" in document["errors"][0]
    rows = {row["figure"]: row for row in document["comparison"]}
    assert rows["handshakes_per_s"]["liveqa edge"] is None
    assert rows["failed_handshakes"]["verdict"] is None
    assert "handshakes/s" in captured.err
    assert "nothing to chart" in captured.err
    assert not (tmp_path / "chart.png").exists()


def test_unknown_scenarios_are_refused() -> None:
    with pytest.raises(SystemExit, match="--scenarios must be among"):
        main(["bench", "compare", "--scenarios", "fanout,warp"])
