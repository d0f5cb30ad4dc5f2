"""Decode the bytes of a plain-text file (TXT, Markdown, HTML) whose encoding is not declared.

Chinese users hand us UTF-8 (with or without BOM), GBK/GB18030 from older Windows tools and
UTF-16 from Notepad. A strict, ordered decode (BOM, then UTF-8, then GB18030) gets these right
deterministically; charset-normalizer is only a fallback for the rare other encodings. Binary
files renamed to .txt must be refused rather than indexed as junk.
"""

from __future__ import annotations

import codecs
import unicodedata

NOT_TEXT = "不是文本文件（疑似二进制内容）"

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
        raise NotTextError(NOT_TEXT)

    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _junk_ratio(text) <= _MAX_JUNK_RATIO:
            return text, encoding

    return _fallback(data)


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
