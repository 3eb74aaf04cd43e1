"""Without the postgres and redis extras `liveqa serve` runs, and options needing one say so."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from liveqa.cli import main
from liveqa.extras import MissingExtra, require
from liveqa.store.engine import database_url
from support.ports import free_port
from support.serve import serving

POSTGRES_LINE = "PostgreSQL needs the postgres extra: pip install 'liveqa[postgres]'\n"

# Python code that makes asyncpg and redis impossible to import, as in `pip install liveqa`.
WITHOUT_EXTRAS = "import sys; sys.modules.update(asyncpg=None, redis=None)"


@pytest.fixture
def no_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncpg and redis cannot be imported, as if the extras were not installed."""
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    monkeypatch.setitem(sys.modules, "redis", None)


def test_require_names_the_extra(no_extras: None) -> None:
    with pytest.raises(MissingExtra) as missing:
        require("redis", "redis", "Redis (--bus)")
    assert str(missing.value) == "Redis (--bus) needs the redis extra: pip install 'liveqa[redis]'"
    assert missing.value.extra == "redis"
    require("sqlite3", "none", "SQLite")


def test_a_broken_install_is_not_taken_for_a_missing_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "half_installed.py").write_text("import liveqa_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as error:
        require("half_installed", "postgres", "PostgreSQL")
    assert error.value.name == "liveqa_no_such_dependency"


def test_postgresql_urls_need_asyncpg_and_sqlite_ones_do_not(no_extras: None) -> None:
    with pytest.raises(MissingExtra, match=r"liveqa\[postgres\]"):
        database_url("postgresql://liveqa@127.0.0.1/liveqa")
    assert database_url("sqlite:///liveqa.db").drivername == "sqlite+aiosqlite"


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What `liveqa *argv` writes on stderr, after checking it wrote nothing else and exited 2."""
    assert main(list(argv)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err


def test_origin_on_postgresql_without_the_extra(
    no_extras: None, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(capsys, "origin", "--database-url", "postgresql://liveqa@127.0.0.1/liveqa")
    assert err == "liveqa origin: " + POSTGRES_LINE


def test_origin_with_redis_limits_without_the_extra(
    no_extras: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = refused(
        capsys,
        "origin",
        "--database-url",
        f"sqlite:///{tmp_path}/liveqa.db",
        "--redis-url",
        "redis://127.0.0.1:6379/0",
    )
    assert err == (
        "liveqa origin: Redis (--redis-url) needs the redis extra: pip install 'liveqa[redis]'\n"
    )


def test_edge_with_a_bus_without_the_extra(
    no_extras: None, capsys: pytest.CaptureFixture[str]
) -> None:
    port, publish_port = free_port(), free_port()
    err = refused(
        capsys,
        "edge",
        "--origin",
        "http://127.0.0.1:1",
        "--listen",
        f"127.0.0.1:{port}",
        "--publish-listen",
        f"127.0.0.1:{publish_port}",
        "--sig-key",
        "key",
        "--bus",
        "redis://127.0.0.1:6379/0",
    )
    assert err == "liveqa edge: Redis (--bus) needs the redis extra: pip install 'liveqa[redis]'\n"


def test_db_on_postgresql_without_the_extra(
    no_extras: None, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(capsys, "db", "current", "--database-url", "postgres://liveqa@db/liveqa")
    assert err == "liveqa db: " + POSTGRES_LINE


async def test_serve_runs_without_the_extras(tmp_path: Path) -> None:
    port = free_port()
    without = (
        sys.executable,
        "-c",
        f"{WITHOUT_EXTRAS}; from liveqa.cli import main; sys.exit(main())",
    )
    async with serving(port, tmp_path / "data", liveqa=without) as process:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/api/session"
            async with http.post(url, json={"displayName": "Ada"}) as response:
                assert response.status == 201, await response.text()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            rest, _ = await process.communicate()
        assert process.returncode == 0, rest.decode()
        assert b"Traceback" not in rest
