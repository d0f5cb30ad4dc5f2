"""Decode the bytes of a plain-text file (TXT, Markdown, HTML) whose encoding is not declared.

Chinese users hand us UTF-8 (with or without BOM), GBK/GB18030 from older Windows tools and
UTF-16 from Notepad and Windows exports — sometimes without a BOM. A strict, ordered decode
(BOM, then UTF-8, then BOM-less UTF-16 when the bytes clearly are, then GB18030) gets these
right deterministically; charset-normalizer is only a fallback for the rare other encodings.
Binary files renamed to .txt must be refused rather than indexed as junk, and a file that
looks like UTF-16 but whose byte order cannot be told must say so rather than "binary".

BOM-less UTF-16 is recognised by two independent signals: where the zero bytes sit (ASCII
and line ends in UTF-16 LE put them at odd offsets, in BE at even ones) and whether the
decoded characters are ones Chinese documents are made of (CJK ideographs and punctuation,
ASCII, full-width forms). Pure Chinese text has no zero bytes at all; there the test is that
GB18030 would give mostly characters outside GB2312's 6 763 common ones, which real GBK text
never does while UTF-16 bytes read as GB18030 always do.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

NOT_TEXT = "不是文本文件（疑似二进制内容）"
UTF16_NO_BOM = "疑似没有 BOM 的 UTF-16 文本，无法确定字节顺序：不支持无 BOM 的 UTF-16，请另存为 UTF-8"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with FF FE too
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Share of suspicious characters (controls, private use, unassigned) above which we call it binary.
_MAX_JUNK_RATIO = 0.01
_SAMPLE = 100_000
# BOM-less UTF-16: share of zero bytes at one parity that names the byte order, and shares
# of plausible characters that make a byte order certain, or at least possible (random
# 16-bit values are ~45% "plausible", so 60% already says "text of some kind").
_ZERO_PARITY = 0.7
_SURE_PLAUSIBLE = 0.95
_MAYBE_PLAUSIBLE = 0.6
# Chinese read in the wrong byte order is still ~60-75% "plausible" (swapped ideographs often
# land on other ideographs); the right order must beat it by this much.
_MIN_MARGIN = 0.2
# Fewer bytes than this (three characters) are too few to tell UTF-16 from a GB18030 4-byte code.
_MIN_UTF16_BYTES = 8
_MAX_GB2312_SHARE = 0.3
#: Code point ranges Chinese documents are made of.
_PLAUSIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (°, ×, ·)
    (0x2000, 0x206F),  # general punctuation (“”…—)
    (0x2100, 0x218F),  # letterlike symbols, Roman numerals (℃, Ⅳ)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # circled numbers (①)
    (0x2500, 0x25FF),  # box drawing, geometric shapes (■ ○)
    (0x3000, 0x303F),  # CJK punctuation (，。、《》)
    (0x3040, 0x30FF),  # kana
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility (㈠ ㎡)
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms (，：（）０-９)
)
_IMPLAUSIBLE = re.compile(
    "[^\n\r\t" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _PLAUSIBLE_RANGES) + "]"
)
_NON_ASCII = re.compile("[^\x00-\x7f]")


class NotTextError(ValueError):
    """The bytes are not text in any encoding we accept; ``str(self)`` is the user reason."""


def decode_text(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` for ``data`` or raise :class:`NotTextError`.

    The encoding name is what we used ("utf-8", "utf-8-sig", "gb18030", "utf-16", …) so the
    loader can tell users when it converted a legacy encoding.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise NotTextError(NOT_TEXT) from exc
            _reject_junk(text.lstrip("\ufeff"))
            return text.lstrip("\ufeff"), encoding

    if b"\x00" in data:
        return _decode_with_zeros(data)

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _junk_ratio(text) <= _MAX_JUNK_RATIO:
            return text, "utf-8"

    utf16 = _utf16_without_zeros(data)
    if utf16 is not None:
        return utf16

    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        if _junk_ratio(text) <= _MAX_JUNK_RATIO:
            return text, "gb18030"

    return _fallback(data)


def encoding_notes(encoding: str) -> list[str]:
    """The note telling users a legacy encoding was converted (none for UTF-8 and ASCII)."""
    key = encoding.lower()
    if key in ("utf-8", "utf-8-sig", "utf_8", "ascii"):
        return []
    return [f"文本编码为 {_ENCODING_NAMES.get(key, encoding)}，已转换为 UTF-8"]


_ENCODING_NAMES = {
    "gb18030": "GB18030/GBK",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "utf-16-le": "UTF-16 LE（无 BOM）",
    "utf-16-be": "UTF-16 BE（无 BOM）",
}


def _decode_with_zeros(data: bytes) -> tuple[str, str]:
    """Zero bytes without a BOM: BOM-less UTF-16 if the characters say so, else binary.

    When both byte orders give plausible text (ASCII read backwards is CJK), the zero bytes
    decide: mostly they are the high bytes of ASCII characters, second in LE and first in BE.
    Otherwise they do not (一 and the ideographic space have a zero low byte).
    """
    sample = data[: 2 * _SAMPLE]
    even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
    odd = odd_zeros / ((even_zeros + odd_zeros) or 1)
    sample = sample[: len(sample) & ~1]
    shares = {
        "utf-16-le": _plausible_share(sample, "utf-16-le"),
        "utf-16-be": _plausible_share(sample, "utf-16-be"),
    }
    by_zeros = "utf-16-le" if odd >= _ZERO_PARITY else "utf-16-be" if odd <= 1 - _ZERO_PARITY else None
    best, other = sorted(shares, key=lambda name: shares[name], reverse=True)
    encoding: str | None = None
    if shares[best] >= _SURE_PLAUSIBLE:
        encoding = best if shares[best] - shares[other] >= _MIN_MARGIN else by_zeros
    maybe = shares[best] >= _MAYBE_PLAUSIBLE
    if encoding is None or len(data) % 2:
        raise NotTextError(UTF16_NO_BOM if maybe else NOT_TEXT)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise NotTextError(UTF16_NO_BOM) from None
    _reject_junk(text)
    return text, encoding


def _utf16_without_zeros(data: bytes) -> tuple[str, str] | None:
    """Pure-CJK UTF-16 (no ASCII, so no zero bytes) that UTF-8 rejected; None if it is not that."""
    if len(data) % 2 or len(data) < _MIN_UTF16_BYTES:
        return None
    sample = data[: 2 * _SAMPLE]
    shares = {encoding: _plausible_share(sample, encoding) for encoding in ("utf-16-le", "utf-16-be")}
    best, other = sorted(shares, key=lambda name: shares[name], reverse=True)
    if shares[best] < _SURE_PLAUSIBLE or shares[best] - shares[other] < _MIN_MARGIN:
        return None
    if _gb2312_share(sample) > _MAX_GB2312_SHARE:
        return None  # the bytes read as ordinary GBK Chinese: that is what they are
    try:
        text = data.decode(best)
    except UnicodeDecodeError:
        return None
    if _junk_ratio(text) > _MAX_JUNK_RATIO:
        return None
    return text, best


def _plausible_share(data: bytes, encoding: str) -> float:
    """Share of the characters of ``data`` read as ``encoding`` that Chinese documents contain."""
    text = data.decode(encoding, errors="replace")
    if not text:
        return 0.0
    _, implausible = _IMPLAUSIBLE.subn("", text)
    return 1 - implausible / len(text)


def _gb2312_share(data: bytes) -> float:
    """Share of the non-ASCII characters GB18030 makes of ``data`` that GB2312 (common Chinese) has."""
    text = data.decode("gb18030", errors="replace")
    hanzi = _NON_ASCII.findall(text)[:20_000]
    if not hanzi:
        return 0.0
    common = 0
    for char in hanzi:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(hanzi)


def _fallback(data: bytes) -> tuple[str, str]:
    """Let charset-normalizer guess (Big5, Shift-JIS, …); accept only a clean result."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise NotTextError(NOT_TEXT)
    text = str(best)
    _reject_junk(text)
    return text, best.encoding


def _reject_junk(text: str) -> None:
    if _junk_ratio(text) > _MAX_JUNK_RATIO:
        raise NotTextError(NOT_TEXT)


def _junk_ratio(text: str) -> float:
    """Share of characters no real document contains: controls, private use, unassigned."""
    if not text:
        return 0.0
    if len(text) > 3 * _SAMPLE:  # a sample keeps this linear-time check cheap on big files
        middle = len(text) // 2
        text = text[:_SAMPLE] + text[middle : middle + _SAMPLE] + text[-_SAMPLE:]
    junk = 0
    for char in text:
        if char in "\n\r\t\f":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Co", "Cn", "Cs"):
            junk += 1
    return junk / len(text)
