"""HTML to Markdown-like text with the standard library parser (no extra dependency).

Pages saved from government sites carry menus and scripts around the article; those are
dropped, headings become ``#`` lines so the chunker sees the structure, and block elements
become line breaks. HTML collapses whitespace, and a source line break between two Chinese
characters renders as nothing, so it must not become a space.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from assistant.components.loaders.normalize import is_cjk_like

_SKIPPED = frozenset({"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "select"})
_VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
)
_BLOCKS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "thead", "tbody", "tfoot",
        "section", "article", "main", "header", "footer", "aside", "blockquote", "pre", "figure",
        "figcaption", "form", "fieldset", "address", "caption", "details", "summary", "center",
    }
)  # fmt: skip
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CELLS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"[ \t\r\n\f\u00a0]+")
# A <title> longer than this is not a title (or was never closed).
_MAX_TITLE_CHARS = 500


class _TextExtractor(HTMLParser):
    """Collects visible text as a list of lines; block boundaries end the current line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._title: list[str] = []
        self._title_chars = 0
        self._current: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0
        self._heading: int | None = None
        self._in_title = False

    # --- parser callbacks --------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag == "br":
            self._break()
        elif tag in _HEADINGS:
            self._break()
            self._heading = _HEADINGS[tag]
        elif tag in _BLOCKS or tag == "hr":
            self._break()
            if tag == "pre":
                self._pre_depth += 1
        elif tag in _CELLS and self._current:
            self._current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self._skip_depth:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag in _HEADINGS:
            self._break()
            self._heading = None
        elif tag in _BLOCKS:
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title and self._title_chars < _MAX_TITLE_CHARS:
            # an unclosed <title> would otherwise swallow the page, one quadratic += at a time
            self._title.append(data)
            self._title_chars += len(data)
        if self._skip_depth:
            return
        if self._pre_depth:
            for index, part in enumerate(data.split("\n")):
                if index:
                    self._break()
                self._current.append(part)
            return
        self._current.append(data)

    # --- helpers ---------------------------------------------------------------------------
    def _break(self) -> None:
        raw = "".join(self._current)
        self._current = []
        line = raw if self._pre_depth else _collapse(raw)
        if not line.strip():
            return
        if self._heading is not None:
            line = "#" * self._heading + " " + line.strip()
        self.lines.append(line)

    def finish(self) -> None:
        self._break()

    @property
    def title(self) -> str:
        return "".join(self._title)[:_MAX_TITLE_CHARS]


def _collapse(raw: str) -> str:
    """HTML whitespace rules, except that breaks between CJK characters vanish entirely."""

    def replace(match: re.Match[str]) -> str:
        before = raw[match.start() - 1] if match.start() else ""
        after = raw[match.end()] if match.end() < len(raw) else ""
        if "\n" in match.group(0) and before and after and is_cjk_like(before) and is_cjk_like(after):
            return ""
        return " "

    return _WHITESPACE.sub(replace, raw).strip()


def html_to_text(html: str) -> tuple[str, str]:
    """Return ``(text, title)``: Markdown-like text with one blank line between blocks."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    parser.finish()
    return "\n\n".join(parser.lines), _collapse(parser.title)
