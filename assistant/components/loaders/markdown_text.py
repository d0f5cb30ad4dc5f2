"""Markdown specifics: a leading YAML front-matter block and the regulations' metadata block.

The shared regulation files put promulgation history above an ``<!-- INFO END -->`` line.
That history is useful metadata but not article text, so it moves to
``front_matter["preamble"]`` while the ``# title`` line stays in the text (the chunker and
citations need the title).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_INFO_END = re.compile(r"^[ \t]*<!--\s*INFO END\s*-->[ \t]*$", re.MULTILINE)
_TITLE = re.compile(r"^#[ \t]+\S.*$", re.MULTILINE)
# The metadata block is a short header; a marker deep inside a long text is not one.
_MAX_PREAMBLE_CHARS = 5000


def split_front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    """Return ``(front_matter, body, notes)`` for a Markdown document (already normalised)."""
    front_matter: dict[str, Any] = {}
    notes: list[str] = []
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1) or "")
        except yaml.YAMLError:
            parsed = None
            notes.append("文件开头的 YAML 元数据格式有误，已按正文保留")
        if isinstance(parsed, dict):
            front_matter.update({str(key): value for key, value in parsed.items()})
            text = text[match.end() :]
        elif parsed is None and not notes and not (match.group(1) or "").strip():
            text = text[match.end() :]  # an empty block carries nothing

    marker = _INFO_END.search(text)
    if marker and marker.start() <= _MAX_PREAMBLE_CHARS:
        head, body = text[: marker.start()], text[marker.end() :]
        title = _TITLE.search(head)
        preamble = head
        if title:
            preamble = head[: title.start()] + head[title.end() :]
        front_matter["preamble"] = _squeeze_lines(preamble)
        text = (title.group(0) + "\n\n" if title else "") + body.lstrip("\n")
    return front_matter, text.strip("\n"), notes


def _squeeze_lines(block: str) -> str:
    """The non-empty lines of ``block``, one per line."""
    return "\n".join(line.strip() for line in block.splitlines() if line.strip())
