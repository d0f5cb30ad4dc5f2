from __future__ import annotations

import pytest

from assistant.components.chunking.numerals import parse_numeral


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("四十一", 41),
        ("一百", 100),
        ("一百零一", 101),
        ("一百一十九", 119),
        ("二百九十九", 299),
        ("两百", 200),
        ("41", 41),
        ("４１", 41),
        ("二〇二一", 2021),
        ("二○一一", 2011),
    ],
)
def test_parse_numeral_reads_chinese_and_digit_numerals(text: str, value: int) -> None:
    assert parse_numeral(text) == value


@pytest.mark.parametrize("text", ["", "甲", "十x", "第一"])
def test_parse_numeral_rejects_non_numerals(text: str) -> None:
    assert parse_numeral(text) is None


def test_every_article_number_up_to_299_round_trips() -> None:
    """Write 1..299 the way statutes do and read them back."""
    digits = "零一二三四五六七八九"

    def spell(n: int) -> str:
        hundreds, rest = divmod(n, 100)
        tens, ones = divmod(rest, 10)
        out = f"{digits[hundreds]}百" if hundreds else ""
        if tens:
            out += f"{digits[tens] if (tens > 1 or hundreds) else ''}十"
        elif hundreds and ones:
            out += "零"
        return out + (digits[ones] if ones else "")

    assert spell(110) == "一百一十" and spell(105) == "一百零五" and spell(12) == "十二"
    for n in range(1, 300):
        assert parse_numeral(spell(n)) == n
