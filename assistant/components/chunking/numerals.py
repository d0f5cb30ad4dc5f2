"""Chinese numerals as used in article labels (第二百九十九条) and dates (二〇一一年五月).

Regulations number chapters and articles in Chinese numerals, sometimes in digits
(第41条); both must give the same integer so ``article_no`` can be compared and sorted.
"""

from __future__ import annotations

DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}

#: Characters that may form a numeral in a label (for regular expressions).
NUMERAL_CHARS = "零〇○一二两三四五六七八九十百千0-9０-９"


def parse_numeral(text: str) -> int | None:
    """The value of a Chinese (一百零一, 十二, 二〇二一) or digit (41, ４１) numeral, or None.

    Positional digit strings without units (二〇二一, as in years) are read digit by digit.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)  # int() accepts full-width digits too
    if any(ch not in DIGITS and ch not in UNITS for ch in text):
        return None
    if not any(ch in UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + DIGITS[ch]
        return value
    total = 0
    pending = 0
    for ch in text:
        if ch in DIGITS:
            pending = DIGITS[ch]
        else:
            unit = UNITS[ch]
            total += (pending or 1) * unit  # 十二 means 一十二
            pending = 0
    return total + pending
