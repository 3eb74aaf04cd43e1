"""Validation rules of docs/protocol.md: room ids, text lengths, colours, nonces."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.origin.errors import Refused
from liveqa.origin.limits import (
    LINE_PATTERN,
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


@pytest.mark.parametrize(
    "name",
    [
        "\u202eTSOH\u202c Alice",  # shows as "HOST Alice"
        "Ali\u200bce",
        "Alice\u200d",
        "\u2066Alice\u2069",
        "\ufeffAlice",
        "Al\u00adice",
        "\u200fAlice",
        "\u061cAlice",
    ],
)
def test_names_refuse_invisible_format_characters(name: str) -> None:
    for field, maximum in (("display name", 40), ("room name", 80)):
        with pytest.raises(Refused) as refused:
            clean_text(name, field, maximum)
        assert refused.value.code == "invalid_text"
        assert "invisible formatting character (U+" in refused.value.message
        assert re.fullmatch(LINE_PATTERN, name) is None


@pytest.mark.parametrize(
    "text", ["\u202eevil", "a\u202ab", "\u2067x\u2069", "zero\u200bwidth", "\u2060", "\ufeffhi"]
)
def test_long_text_refuses_what_reorders_or_hides_it(text: str) -> None:
    for field in ("question", "answer"):
        with pytest.raises(Refused, match="invisible formatting character"):
            clean_text(text, field, 500, multiline=True)


def test_long_text_keeps_joiners_and_bidi_marks() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    mixed = "\u05e9\u05dc\u05d5\u05dd\u200e (v2)\u200f"
    for text in (family, persian, mixed):
        assert clean_text(text, "question", 500, multiline=True) == text


@given(
    st.text(alphabet=st.sampled_from(" aé\t\n\x85\u2028\u00ad\u200b\u200d\u202e"), max_size=6)
    | st.text(max_size=12)
)
def test_the_name_pattern_says_what_clean_text_accepts(name: str) -> None:
    try:
        clean_text(name, "display name", 40)
    except Refused:
        accepted = False
    else:
        accepted = True
    assert (re.fullmatch(LINE_PATTERN, name) is not None) == accepted


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
