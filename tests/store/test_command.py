"""`liveqa db upgrade|current` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveqa.cli import main
from liveqa.store.migrate import head_revision


def test_upgrade_then_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["db", "current", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("empty")
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert capsys.readouterr().out == f"{head_revision()} (head {head_revision()})\n"


def test_database_url_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIVEQA_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.startswith(head_revision())
    assert (tmp_path / "env.db").exists()


def test_bad_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "upgrade", "--database-url", "mysql://x/y"])
    assert exit_info.value.code == 2
    assert "unsupported database URL scheme 'mysql'" in capsys.readouterr().err
