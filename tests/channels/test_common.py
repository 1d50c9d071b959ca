"""Splitting and numbered choices shared by the adapters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.common import numbered, redact, split_text, utf16_len
from bot.messages import Button, Reply


def test_short_text_is_one_piece() -> None:
    assert split_text("xin chào", 10) == ["xin chào"]
    assert split_text("", 10) == [""]


def test_prefers_paragraph_then_line_then_sentence_then_word() -> None:
    assert split_text("aaaa bbbb\n\ncccc", 12) == ["aaaa bbbb", "cccc"]
    assert split_text("aaaa bbbb\ncccc", 12) == ["aaaa bbbb", "cccc"]
    assert split_text("Một hai. Ba bốn năm", 12) == ["Một hai.", "Ba bốn năm"]
    assert split_text("một hai ba bốn", 9) == ["một hai", "ba bốn"]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_utf16_measure_counts_astral_characters_twice() -> None:
    assert utf16_len("🏆a") == 3
    assert all(utf16_len(p) <= 4 for p in split_text("🏆🏆🏆🏆🏆", 4, utf16_len))


@given(st.text(alphabet="aăâbcdđeêơư .\n🏆", max_size=400), st.integers(4, 60))
def test_pieces_fit_and_lose_only_whitespace(text: str, limit: int) -> None:
    pieces = split_text(text, limit, utf16_len)
    assert all(utf16_len(piece) <= limit for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_numbered_choices_keep_button_order_across_rows() -> None:
    reply = Reply("Chọn", buttons=((Button("A", "a"), Button("B", "b")), (Button("C", "c"),)))
    text, payloads = numbered(reply)
    assert payloads == ("a", "b", "c")
    assert text.startswith("Chọn\n\n1. A\n2. B\n3. C\n")
    assert numbered(Reply("Không nút")) == ("Không nút", ())


def test_redact_is_case_insensitive() -> None:
    assert redact("token AbC:xyz và abc:XYZ", ["abc:xyz"]) == "token <redacted> và <redacted>"
    assert redact("không có gì", ["", "abc"]) == "không có gì"
