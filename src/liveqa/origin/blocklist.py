"""A room's blocked words and phrases: how they are cleaned, and whether a text contains one.

Both sides are NFKC-normalised and casefolded, so fullwidth "SPAM", "Spam" and "spam" are one
word and "STRASSE" matches "straße". A word matches whole: not inside a longer word (letters,
digits and combining marks).
Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar)
have no such boundary to look for, so a phrase holding any of their letters matches anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from liveqa.origin.errors import invalid
from liveqa.origin.limits import Limits, clean_text

# Code point ranges of the scripts that do not separate words with spaces.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x9FFF),  # CJK ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions
)


def fold(text: str) -> str:
    """The form both sides are compared in: NFKC, casefolded, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _unspaced(phrase: str) -> bool:
    return any(low <= ord(char) <= high for char in phrase for low, high in _UNSPACED)


def _in_word(char: str) -> bool:
    """Letters, digits and combining marks (a Devanagari vowel sign belongs to its word)."""
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _found(phrase: str, text: str) -> bool:
    pattern = r"\s+".join(re.escape(part) for part in phrase.split(" "))
    if _unspaced(phrase):
        return re.search(pattern, text) is not None
    for match in re.finditer(pattern, text):
        start, end = match.span()
        if (start == 0 or not _in_word(text[start - 1])) and (
            end == len(text) or not _in_word(text[end])
        ):
            return True
    return False


def clean_words(values: Iterable[str], limits: Limits) -> list[str]:
    """The list as stored: each word folded, duplicates and empty lines dropped, in order;
    a 400 refusal past the count or length bound."""
    words: list[str] = []
    for value in values:
        if not value.strip():
            continue
        word = fold(clean_text(value, "blocked word", limits.blocked_word))
        if word not in words:
            words.append(word)
    if len(words) > limits.blocked_words:
        raise invalid(
            f"a room blocks at most {limits.blocked_words} words or phrases", "too_many_words"
        )
    return words


def contains_blocked(text: str, words: Iterable[str]) -> bool:
    """Whether `text` contains one of the (folded) blocked words or phrases."""
    folded = fold(text)
    return any(_found(word, folded) for word in words)
