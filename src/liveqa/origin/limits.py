"""Validation rules and size limits (docs/protocol.md), applied to all input before storing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

import msgspec

from liveqa.origin.errors import invalid

THEME_COLORS = ("#038cfc", "#d35192", "#188c2d", "#765f09", "#6e1786", "#af2c37")
DEFAULT_THEME_COLOR = THEME_COLORS[0]
ROOM_STATES = ("open", "voting", "closed")

ROOM_ID_RULE = re.compile(r"[a-z][-_.a-z0-9]{1,14}[a-z0-9]")
# Paths the app serves itself, and names a browser or crawler asks for at the site root.
RESERVED_ROOM_IDS = frozenset(
    {
        "api",
        "static",
        "assets",
        "admin",
        "health",
        "healthz",
        "readyz",
        "metrics",
        "present",
        "favicon.ico",
        "robots.txt",
        "index.html",
        "manifest.json",
        "sitemap.xml",
    }
)
RESERVED_SUFFIXES = (".js", ".css", ".ico", ".txt", ".html", ".json", ".png", ".svg", ".xml")
NONCE_RULE = re.compile(r"[A-Za-z0-9_-]{1,64}")
QUESTION_ID_RULE = re.compile(r"[0-9a-f]{16}")
# Multi-line text keeps newlines and tabs; every other control character is refused.
_TEXT_CONTROLS_ALLOWED = frozenset("\n\t")
# Invisible characters that reorder what follows them or make two texts look alike: bidi
# embeddings, overrides and isolates ("\u202eTSOH\u202c Alice" shows as "HOST Alice"), and
# zero-width spaces and joiners. Names and room names (one line) refuse every format
# character of the BMP (category Cf, which holds all of those and the bidi marks).
NAME_INVISIBLE = frozenset(
    chr(code) for code in range(0x10000) if unicodedata.category(chr(code)) == "Cf"
)
# Questions and answers refuse the ones that reorder text or hide it, but keep the zero-width
# (non-)joiners and bidi marks, which emoji sequences, Persian and Indic scripts and mixed
# right-to-left text need: they change how neighbouring letters join or which way
# punctuation goes, never the order of a run of text.
TEXT_INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, zero-width no-break space
)


def _char_class(chars: frozenset[str]) -> str:
    """`chars` as escapes inside a regex character class (Python and ECMA-262 read them)."""
    return "".join(f"\\u{ord(char):04x}" for char in sorted(chars))


# The same rules as JSON Schema patterns (ECMA-262 and Python agree on these): one line of
# printable text, no invisible format characters, with at least one non-space character.
_NOT_LINE = r"\x00-\x1f\x7f-\x9f" + _char_class(NAME_INVISIBLE)
LINE_PATTERN = rf"^[^{_NOT_LINE}]*[^\s{_NOT_LINE}][^{_NOT_LINE}]*$"


@dataclass(frozen=True)
class Limits:
    """Lengths in characters after trimming, a room's capacity and one person's share of it."""

    display_name: int = 40
    room_name: int = 80
    question: int = 500
    answer: int = 2000
    questions_per_room: int = 2000
    questions_per_participant: int = 50
    # Questions one bulk approve or dismiss may name: its events go out in one publish.
    batch: int = 200
    # A room's blocked words and phrases: how many, and how long each one.
    blocked_words: int = 100
    blocked_word: int = 50


def _documented(description: str, **schema: object) -> msgspec.Meta:
    """The exact rule, for the OpenAPI document only.

    The board checks these rules after trimming, with messages that say which rule was broken
    (the body size limit bounds the input before that); the document states them so clients
    and schemathesis know them up front.
    """
    return msgspec.Meta(description=description, extra_json_schema=schema)


def _line(maximum: int) -> msgspec.Meta:
    return _documented(
        f"1-{maximum} characters after trimming",
        minLength=1,
        maxLength=maximum,
        pattern=LINE_PATTERN,
    )


# Request field types: they validate requests and document them with the default limits.
DisplayName = Annotated[str, _line(Limits.display_name)]
RoomName = Annotated[str, _line(Limits.room_name)]
RoomId = Annotated[
    str,
    _documented(
        "3-16 of a-z 0-9 - _ . ; starts with a letter, ends with a letter or digit",
        minLength=3,
        maxLength=16,
        pattern=f"^{ROOM_ID_RULE.pattern}$",
        **{
            "not": {
                "anyOf": [
                    {"enum": sorted(RESERVED_ROOM_IDS)},
                    {"pattern": "(" + "|".join(re.escape(x) for x in RESERVED_SUFFIXES) + ")$"},
                ]
            }
        },
    ),
]
ThemeColor = Annotated[str, _documented("one of the palette colours", enum=list(THEME_COLORS))]


def is_reserved(name: str) -> bool:
    """Whether `name` (in any case) is a path the app serves itself or a file browsers ask for."""
    name = name.lower()
    return name in RESERVED_ROOM_IDS or name.endswith(RESERVED_SUFFIXES)


def room_id_problem(room_id: str) -> str | None:
    """Why `room_id` is not a valid room id, or None when it is."""
    if not 3 <= len(room_id) <= 16:
        return "room ids are 3-16 characters long"
    if not ROOM_ID_RULE.fullmatch(room_id):
        return (
            "room ids use lowercase letters, digits, '-', '_' and '.', start with a letter "
            "and end with a letter or digit"
        )
    if is_reserved(room_id):
        return f"{room_id!r} is reserved, pick another room id"
    return None


def check_room_id(room_id: str) -> str:
    """Return a valid room id or raise a 400 refusal that says which rule it breaks."""
    problem = room_id_problem(room_id)
    if problem is not None:
        raise invalid(problem, "invalid_room_id")
    return room_id


def clean_text(value: str, field: str, maximum: int, *, multiline: bool = False) -> str:
    """Check `value` is printable text, then trim it and check it is 1..maximum characters.

    One-line fields are names: they refuse every invisible format character; `multiline`
    text (questions, answers) only those that reorder or hide text."""
    text = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    allowed = _TEXT_CONTROLS_ALLOWED if multiline else frozenset()
    invisible = TEXT_INVISIBLE if multiline else NAME_INVISIBLE
    # Before trimming: strip() also drops control characters (\x1c-\x1f, \x85, newlines in a
    # one-line field), and those are refused wherever they stand, as the API document says.
    for char in text:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise invalid(f"{field} contains a control character", "invalid_text")
        if char in invisible:
            raise invalid(
                f"{field} contains an invisible formatting character (U+{ord(char):04X}) that "
                "could disguise it; remove it",
                "invalid_text",
            )
    text = text.strip()
    if not text:
        raise invalid(f"{field} must not be empty", "invalid_text")
    if len(text) > maximum:
        raise invalid(f"{field} is longer than {maximum} characters", "text_too_long")
    return text


def check_theme_color(value: str) -> str:
    """A palette colour, lower-cased, or a 400 refusal listing the palette."""
    color = value.lower()
    if color not in THEME_COLORS:
        raise invalid(f"theme colour must be one of {', '.join(THEME_COLORS)}", "invalid_color")
    return color


def check_room_state(value: str) -> str:
    """open, voting or closed."""
    if value not in ROOM_STATES:
        raise invalid(f"room state must be one of {', '.join(ROOM_STATES)}", "invalid_state")
    return value


def check_nonce(value: str) -> str:
    """A client nonce: 1-64 letters, digits, '-' or '_'."""
    if not NONCE_RULE.fullmatch(value):
        raise invalid("nonce must be 1-64 letters, digits, '-' or '_'", "invalid_nonce")
    return value


def is_question_id(value: str) -> bool:
    """Whether `value` has the shape of a server-issued question id."""
    return QUESTION_ID_RULE.fullmatch(value) is not None
