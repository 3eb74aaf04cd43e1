"""The files in deploy/ as shipped: Pushpin's config and routes in front of `liveqa origin`, the
systemd units, and the TLS front.

Pushpin runs from a copy of the shipped files in which only what must differ on a test machine
changes: ports, the run and log directories, and the origin's port in the routes file. The
origin is started with the command line the Pushpin config's header comment gives.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import importlib
import re
import shlex
import shutil
import subprocess
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from liveqa.cli import COMMANDS, Command
from liveqa.options import env_name
from support.ports import free_port

from .attendee import Attendee, open_room, snapshot
from .cluster import GRIP_KEY, Service

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PUSHPIN_CONF = DEPLOY / "pushpin" / "pushpin.conf"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TITLE = re.compile(rb"<title>([^<]*)</title>")

pytestmark = pytest.mark.timeout(60)


def read_ini(path: Path) -> configparser.ConfigParser:
    """An ini file as written: no interpolation, names kept as they are."""
    config = configparser.ConfigParser(interpolation=None)
    config.optionxform = str  # type: ignore[assignment,method-assign]
    with path.open() as file:
        config.read_file(file)
    return config


def documented_origin_command() -> list[str]:
    """The `liveqa origin ...` line of pushpin.conf's header comment."""
    for line in PUSHPIN_CONF.read_text().splitlines():
        text = line.lstrip("# ")
        if text.startswith("liveqa origin "):
            return shlex.split(text)
    raise AssertionError("pushpin.conf does not say how to start the origin")


@dataclass
class Front:
    """Where clients reach the origin (a proxy's client port), and the origin's own port."""

    url: str
    origin_port: int


@contextlib.asynccontextmanager
async def shipped_pushpin(
    directory: Path, origin_extra: Sequence[str] = ()
) -> AsyncIterator[Front]:
    """Debian's Pushpin on the shipped config and routes, before the documented origin
    (with `origin_extra` options)."""
    config = read_ini(PUSHPIN_CONF)
    http_port, publish_port, origin_port = free_port(), free_port(), free_port()
    (directory / "run").mkdir()
    (directory / "log").mkdir()
    config["global"]["rundir"] = str(directory / "run")
    config["runner"]["http_port"] = f"127.0.0.1:{http_port}"
    config["runner"]["logdir"] = str(directory / "log")
    config["handler"]["push_in_http_port"] = str(publish_port)
    for spec in ("push_in_spec", "push_in_sub_specs", "command_spec"):
        config["handler"][spec] = f"tcp://127.0.0.1:{free_port()}"
    with (directory / "pushpin.conf").open("w") as file:
        config.write(file)
    routes = (DEPLOY / "pushpin" / "routes").read_text()
    assert "127.0.0.1:8000," in routes
    (directory / "routes").write_text(
        routes.replace("127.0.0.1:8000,", f"127.0.0.1:{origin_port},")
    )

    # The documented command, on this test's ports and a database of its own.
    command = documented_origin_command()
    grip_url = command[command.index("--grip-url") + 1]
    assert f"key={config['proxy']['sig_key']}" in grip_url
    command[command.index("--grip-url") + 1] = grip_url.replace(":5561/", f":{publish_port}/")
    command += ["--listen", f"127.0.0.1:{origin_port}"]
    command += ["--database-url", f"sqlite:///{directory}/liveqa.db", *origin_extra]
    origin = Service("origin", command[1:], origin_port, directory / "origin.log")
    pushpin = Service(
        "pushpin",
        ["--config", str(directory / "pushpin.conf")],
        http_port,
        directory / "pushpin.log",
        program=["pushpin"],
        new_session=True,
    )
    try:
        await origin.start()
        await origin.wait_ready("/api/openapi.json")
        await pushpin.start()
        await pushpin.wait_ready("/api/openapi.json")
        await pushpin.wait_ready(port=publish_port)
        yield Front(f"http://127.0.0.1:{http_port}", origin_port)
    finally:
        await pushpin.stop()
        await origin.stop()


@pytest.fixture
async def behind_pushpin(tmp_path: Path) -> AsyncIterator[Front]:
    async with shipped_pushpin(tmp_path) as front:
        yield front


@pytest.fixture
async def people() -> AsyncIterator[list[Attendee]]:
    made: list[Attendee] = []
    yield made
    for attendee in made:
        await attendee.close()


@pytest.mark.pushpin
async def test_the_shipped_pushpin_files_carry_a_room(
    behind_pushpin: Front, people: list[Attendee]
) -> None:
    host = Attendee("Hana", behind_pushpin.url, "pushpin-room")
    guest = Attendee("Gus", behind_pushpin.url, "pushpin-room")
    people += [host, guest]
    base = await open_room(host, people)
    ask = {"type": "QUESTION_POST_TO_ROOM", "questionText": "Through Pushpin?", "nonce": "p1"}
    question_id = (await guest.send(**ask))["questionId"]
    await host.send(type="QUESTION_UPVOTE", questionId=question_id)
    await host.send(type="QUESTION_POST_ANSWER", questionId=question_id, answerText="Yes")
    final = await snapshot(guest)
    assert final.questions == {question_id: ("Through Pushpin?", 2, "Yes")}
    for attendee in people:
        assert await attendee.settled(base + 3) == final
        assert [seq for seq in attendee.live_seqs() if seq > base] == [base + 1, base + 2, base + 3]


async def join_url_through(front_url: str, attendee: Attendee, proto: str) -> str:
    """The join URL the origin prints in a room's QR code, asked through a front."""
    url = f"{front_url}/api/rooms/{attendee.room_id}/qr.svg"
    headers = {"Host": "qa.example.org", "X-Forwarded-Proto": proto}
    async with attendee.session.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        found = TITLE.search(await response.read())
    assert found is not None
    return found.group(1).decode()


@pytest.mark.pushpin
async def test_pushpin_passes_on_the_scheme_the_tls_front_saw(
    behind_pushpin: Front, people: list[Attendee]
) -> None:
    host = Attendee("Hana", behind_pushpin.url, "tls-room")
    people.append(host)
    await host.join()
    await host.call("POST", "/api/rooms", {"roomId": "tls-room"})
    # nginx (deploy/nginx/liveqa.conf) sends X-Forwarded-Proto: https; people scan the code.
    assert await join_url_through(host.edge_url, host, "https") == "https://qa.example.org/tls-room"


async def test_the_edge_passes_on_the_scheme_the_tls_front_saw(
    tmp_path: Path, people: list[Attendee]
) -> None:
    origin_port, edge_port = free_port(), free_port()
    origin = Service(
        "origin",
        [
            *("origin", "--listen", f"127.0.0.1:{origin_port}"),
            *("--database-url", f"sqlite:///{tmp_path}/liveqa.db"),
            *("--grip-url", f"http://127.0.0.1:{free_port()}/?key={GRIP_KEY}"),
        ],
        origin_port,
        tmp_path / "origin.log",
    )
    edge = Service(
        "edge",
        [
            *("edge", "--origin", f"http://127.0.0.1:{origin_port}", "--sig-key", GRIP_KEY),
            *("--listen", f"127.0.0.1:{edge_port}"),
            *("--publish-listen", f"127.0.0.1:{free_port()}"),
            "--trust-forwarded-proto",
        ],
        edge_port,
        tmp_path / "edge.log",
    )
    try:
        await origin.start()
        await edge.start()
        await origin.wait_ready("/api/openapi.json")
        await edge.wait_ready("/api/openapi.json")
        host = Attendee("Hana", f"http://127.0.0.1:{edge_port}", "tls-room")
        people.append(host)
        await host.join()
        await host.call("POST", "/api/rooms", {"roomId": "tls-room"})
        joined = await join_url_through(host.edge_url, host, "https")
        assert joined == "https://qa.example.org/tls-room"
    finally:
        await edge.stop()
        await origin.stop()


# -- systemd units -------------------------------------------------------------------------------


def documented_environment(unit: Path) -> dict[str, str]:
    """The `LIVEQA_NAME=value` examples in a unit's comments."""
    found = re.findall(r"^#\s+(LIVEQA_[A-Z_]+)=(\S+)", unit.read_text(), flags=re.MULTILINE)
    return dict(found)


def subcommand_parser(command: str) -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser of `liveqa <command>` (reading the environment now) and its env names."""
    module = cast(Command, importlib.import_module(COMMANDS[command][0]))
    parser = argparse.ArgumentParser(prog=f"liveqa {command}")
    module.configure(parser)
    names = {
        env_name(flag)
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help"
    }
    return parser, names


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_a_unit_starts_a_liveqa_command_it_documents(
    unit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = read_ini(unit)
    assert {"Unit", "Service", "Install"} <= set(config.sections())
    service = config["Service"]
    argv = shlex.split(service["ExecStart"].replace("%i", "8000"))
    assert argv[0] == "/opt/liveqa/bin/liveqa"
    command, options = argv[1], argv[2:]
    assert command in COMMANDS
    environment = documented_environment(unit)
    mentioned = set(re.findall(r"\bLIVEQA_[A-Z_]+", unit.read_text()))
    if "EnvironmentFile" in service:
        assert environment, f"{unit.name} reads an env file but shows none of its settings"
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    try:
        parser, names = subcommand_parser(command)
        parser.parse_args(options)
    except SystemExit as exc:
        pytest.fail(f"liveqa {command} refuses {options} with {environment}: exit {exc.code}")
    # Every variable the comments name is a real option of this command.
    assert mentioned <= names, mentioned - names


def test_the_single_process_unit_keeps_its_data_where_systemd_made_room() -> None:
    service = read_ini(DEPLOY / "systemd" / "liveqa.service")["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[argv.index("--data-dir") + 1] == f"/var/lib/{service['StateDirectory']}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    liveqa = shutil.which("liveqa")
    assert liveqa is not None
    copies = []
    for unit in UNITS:
        # Verify checks that the program exists: point it at this machine's liveqa.
        text = unit.read_text().replace("/opt/liveqa/bin/liveqa", liveqa)
        copy = tmp_path / unit.name.replace("@.", "@8000.")
        copy.write_text(text)
        copies.append(str(copy))
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    # Unknown keys and bad values are only warnings: any output at all fails.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


# -- the TLS front -------------------------------------------------------------------------------


def test_the_tls_front_forwards_websockets_to_the_shipped_listeners() -> None:
    nginx = (DEPLOY / "nginx" / "liveqa.conf").read_text()
    upstream = re.search(r"upstream liveqa_edge \{\s*server ([\d.]+:\d+);", nginx)
    assert upstream is not None
    pushpin = read_ini(PUSHPIN_CONF)["runner"]["http_port"]
    serve = shlex.split(read_ini(DEPLOY / "systemd" / "liveqa.service")["Service"]["ExecStart"])
    address = f"{serve[serve.index('--host') + 1]}:{serve[serve.index('--port') + 1]}"
    assert upstream.group(1) == pushpin == address
    for line in (
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header X-Forwarded-Proto https;",
        "proxy_set_header Host $host;",
    ):
        assert line in nginx
