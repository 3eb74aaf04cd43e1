"""RFC 6455 close codes."""

from __future__ import annotations

import pytest

from liveqa.websocket import CloseCode, is_sendable_close_code


@pytest.mark.parametrize(
    ("code", "sendable"),
    [
        *[(999, False), (1000, True), (1004, False), (1005, False), (1006, False)],
        *[(1011, True), (1014, True), (1015, False), (2999, False), (3000, True)],
        *[(4999, True), (5000, False)],
    ],
)
def test_sendable_close_codes(code: int, sendable: bool) -> None:
    assert is_sendable_close_code(code) is sendable


def test_close_codes_are_the_numbers_on_the_wire() -> None:
    edge_closes = (CloseCode.GOING_AWAY, CloseCode.INTERNAL_ERROR, CloseCode.TRY_AGAIN_LATER)
    assert [int(code) for code in edge_closes] == [1001, 1011, 1013]
    assert [code for code in range(1000, 1016) if is_sendable_close_code(code)] == [
        1000,
        1001,
        1002,
        1003,
        1007,
        1008,
        1009,
        1010,
        1011,
        1012,
        1013,
        1014,
    ]
