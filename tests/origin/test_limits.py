"""Validation rules of product.md: room ids, text lengths, colours, nonces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.origin.errors import Refused
from liveqa.origin.limits import (
    ROOM_ID_RULE,
    THEME_COLORS,
    check_nonce,
    check_room_id,
    check_room_state,
    check_theme_color,
    clean_text,
    is_question_id,
    is_reserved,
    room_id_problem,
)


@pytest.mark.parametrize("room_id", ["abc", "team-42", "a.b_c-d", "z" * 16, "q1"[:1] + "x9"])
def test_valid_room_ids(room_id: str) -> None:
    assert check_room_id(room_id) == room_id


@pytest.mark.parametrize(
    ("room_id", "reason"),
    [
        ("ab", "3-16 characters"),
        ("a" * 17, "3-16 characters"),
        ("1abc", "start with a letter"),
        ("abc-", "end with a letter or digit"),
        ("Abc", "lowercase"),
        ("a b", "lowercase"),
        ("ab/c", "lowercase"),
        ("api", "reserved"),
        ("static", "reserved"),
        ("favicon.ico", "reserved"),
        ("main.js", "reserved"),
    ],
)
def test_invalid_room_ids_say_why(room_id: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        check_room_id(room_id)
    assert refused.value.code == "invalid_room_id"
    assert refused.value.status == 400
    assert reason in refused.value.message


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("api", True),
        ("API", True),
        ("Static", True),
        ("robots.txt", True),
        ("Apple-Touch-Icon.PNG", True),
        ("town-hall", False),
        ("Not-A-Room", False),
        ("x", False),
        ("apis", False),
    ],
)
def test_reserved_names_ignore_case(name: str, reserved: bool) -> None:
    assert is_reserved(name) is reserved


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.AZ/ ", max_size=20))
def test_room_id_rule_matches_the_seed_regex(room_id: str) -> None:
    seed = ROOM_ID_RULE.fullmatch(room_id) is not None
    problem = room_id_problem(room_id)
    if problem is None:
        assert seed
    elif seed:
        assert "reserved" in problem


def test_clean_text_trims_and_limits() -> None:
    assert clean_text("  hello  ", "name", 5) == "hello"
    assert clean_text("\na\r\nb\tc\r", "question", 10, multiline=True) == "a\nb\tc"
    for bad, code in [
        ("   ", "invalid_text"),
        ("toolong", "text_too_long"),
        ("a\x00b", "invalid_text"),
        ("a\nb", "invalid_text"),
        ("a\x1bb", "invalid_text"),
        # Control characters that strip() would drop are refused too, as the pattern says.
        ("hello\n", "invalid_text"),
        ("\thello", "invalid_text"),
        ("hello\x1d", "invalid_text"),
        ("\x85hello", "invalid_text"),
    ]:
        with pytest.raises(Refused) as refused:
            clean_text(bad, "name", 5)
        assert refused.value.code == code


def test_clean_text_counts_characters_not_bytes() -> None:
    assert clean_text("é" * 5, "name", 5) == "ééééé"


def test_theme_colors_state_nonce_question_ids() -> None:
    assert [check_theme_color(c.upper()) for c in THEME_COLORS] == list(THEME_COLORS)
    assert [check_room_state(s) for s in ("open", "voting", "closed")] == [
        "open",
        "voting",
        "closed",
    ]
    assert check_nonce("abc-DEF_123") == "abc-DEF_123"
    assert is_question_id("0123456789abcdef")
    assert not is_question_id("0123456789ABCDEF")
    for check, value in [
        (check_theme_color, "red"),
        (check_theme_color, "#000000"),
        (check_room_state, "paused"),
        (check_nonce, ""),
        (check_nonce, "a" * 65),
        (check_nonce, "with space"),
    ]:
        with pytest.raises(Refused):
            check(value)
