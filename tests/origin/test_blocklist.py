"""Blocked words: folded, bounded, matched as whole words (or anywhere in unspaced scripts)."""

from __future__ import annotations

import pytest

from liveqa.origin.blocklist import clean_words, contains_blocked
from liveqa.origin.errors import Refused
from liveqa.origin.limits import Limits


def test_words_are_folded_deduplicated_and_bounded() -> None:
    limits = Limits(blocked_words=3, blocked_word=10)
    assert clean_words(["  Spam ", "SPAM", "", "Straße", "Big   Deal"], limits) == [
        "spam",
        "strasse",
        "big deal",
    ]
    with pytest.raises(Refused) as too_many:
        clean_words(["a", "b", "c", "d"], limits)
    assert too_many.value.code == "too_many_words"
    with pytest.raises(Refused) as too_long:
        clean_words(["x" * 11], limits)
    assert too_long.value.code == "text_too_long"
    with pytest.raises(Refused) as invisible:
        clean_words(["sp\u200bam"], limits)
    assert invisible.value.code == "invalid_text"


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("This is SPAM!", True),
        ("\uff53\uff50\uff41\uff4d again", True),  # fullwidth
        ("spammer here", False),
        ("antispam", False),
        ("a big\n  deal indeed", True),
        ("a bigdeal", False),
        ("STRASSE", True),
        ("Было плохо", True),
        ("плохой день", False),
        ("这是免费的", True),
        ("हिंदी", False),
        ("clean question", False),
    ],
)
def test_matching_is_casefolded_and_whole_word(text: str, blocked: bool) -> None:
    words = clean_words(["spam", "big deal", "straße", "плохо", "免费", "हि"], Limits())
    assert contains_blocked(text, words) is blocked
