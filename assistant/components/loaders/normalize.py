"""Text normalisation shared by every loader, and the CJK character tests the PDF layout needs.

We deliberately do not apply NFKC: it would turn full-width Chinese punctuation (，：（）)
into ASCII and change the text users see and cite.
"""

from __future__ import annotations

import re

# Runs of blanks inside a line (ASCII space, tab, no-break space, ideographic space U+3000).
_INNER_BLANKS = re.compile(r"(?<=\S)[ \t\u00a0\u3000]+")
# Invisible characters that only disturb matching and chunking.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# C0/C1 control characters other than tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Unify line ends and blanks so every format yields comparable text.

    Runs of spaces/tabs/U+3000 inside a line collapse to one ASCII space, but leading
    indentation is kept (it is meaningful in Markdown). Trailing blanks are stripped and
    more than one empty line in a row collapses to one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_INNER_BLANKS.sub(" ", line).rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip("\n")


def is_cjk(char: str) -> bool:
    """True for Chinese/Japanese/Korean ideographs (the scripts written without spaces)."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2FA1F
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF  # kana, occasionally in names
    )


def is_cjk_punct(char: str) -> bool:
    """True for full-width punctuation used in Chinese text (，。、；：？！“”（）《》 …)."""
    code = ord(char)
    return 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFF65 or char in "“”‘’—…·"


def is_cjk_like(char: str) -> bool:
    """A character after which (or before which) a line break needs no space when joined."""
    return is_cjk(char) or is_cjk_punct(char)


def display_width(line: str) -> float:
    """Approximate printed width in em: ideographs and full-width punctuation are 1, others 0.5."""
    return sum(1.0 if is_cjk_like(ch) else 0.5 for ch in line)
