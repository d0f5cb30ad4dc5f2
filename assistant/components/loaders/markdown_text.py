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
# Front matter is a handful of fields; far more nodes than this is an alias bomb or junk.
_MAX_FRONT_MATTER_NODES = 10_000
_MAX_FRONT_MATTER_DEPTH = 20


def split_front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    """Return ``(front_matter, body, notes)`` for a Markdown document (already normalised)."""
    front_matter: dict[str, Any] = {}
    notes: list[str] = []
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1) or "")
        except (yaml.YAMLError, RecursionError, ValueError):  # ValueError: e.g. a 5 000-digit number
            parsed = None
            notes.append("文件开头的 YAML 元数据格式有误，已按正文保留")
        if isinstance(parsed, dict):
            plain = plain_data(parsed)
            if plain is None:
                notes.append("文件开头的 YAML 元数据过于复杂（嵌套或引用展开过多），已按正文保留")
            else:
                front_matter.update(plain)
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


def plain_data(value: dict[Any, Any]) -> dict[str, Any] | None:
    """A copy of parsed YAML with string keys (as JSON has) and no shared parts, or None if too big.

    YAML aliases let a few hundred bytes stand for billions of nodes (``&a [*b, *b, …]``) or
    for a cycle; anything that copies or prints such a value (metadata, JSON) would then blow
    up. Copying under a node budget turns that into a plain "too complex" instead.
    """
    budget = [_MAX_FRONT_MATTER_NODES]

    def copy(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > _MAX_FRONT_MATTER_DEPTH:
            raise _TooComplex
        if isinstance(item, dict):
            return {str(key): copy(inner, depth + 1) for key, inner in item.items()}
        if isinstance(item, list | tuple | set | frozenset):
            return [copy(inner, depth + 1) for inner in item]
        return item

    try:
        result = copy(value, 0)
    except _TooComplex:
        return None
    return result if isinstance(result, dict) else None


class _TooComplex(Exception):
    pass


def _squeeze_lines(block: str) -> str:
    """The non-empty lines of ``block``, one per line."""
    return "\n".join(line.strip() for line in block.splitlines() if line.strip())
