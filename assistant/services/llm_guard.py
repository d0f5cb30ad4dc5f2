"""Guarding a generated answer before it replaces the extractive one.

A model's reply is untrusted: an instruction planted in a document can make it write
``答案见 [1](http://…)`` or ``![x](http://…)``. A client that renders the reply as Markdown or
HTML then sends the reader elsewhere, or loads a URL that leaks what they are reading. And a
reply that merely *mentions* a passage number may still state things no passage says.

* :func:`strip_markup` turns a reply into plain text. Images are removed, links keep their label
  but lose the URL, HTML tags are removed (script/style and similar blocks with their content),
  bare URLs are removed, and citation markers ``[n]`` stay. Input is cut at
  :data:`MAX_GENERATED_CHARS`. Every pattern is possessive or scans up to a delimiter, so the time
  is linear in the input. The result is idempotent and never contains markup syntax: after at
  most :data:`_ROUNDS` removal passes, a substitution pass replaces whatever is left of the syntax
  (``<`` before a tag name, ``![``, ``](``, a URL scheme) with its full-width look-alike. Removing
  one construct can join its neighbours into a new one; that pass is what stops it.
* :func:`check_generated` accepts a reply only when it is not empty, no citation is a link,
  every cited number was given, and every sentence that states something cites a passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Longer generated text is cut before any work (and rejected by :func:`check_generated`).
MAX_GENERATED_CHARS = 20_000
#: A sentence with more letters/digits/CJK characters than this states something and must cite.
MAX_FRAMING_CHARS = 12

REASON_EMPTY = "生成的回答为空"
REASON_TOO_LONG = f"生成的回答超过 {MAX_GENERATED_CHARS} 字"
REASON_LINKED = "引用被写成了链接"
REASON_NO_CITATION = "生成的回答没有注明出处"
REASON_UNCITED = "生成的回答中有句子未注明出处"
REASON_UNKNOWN = "引用了未提供的段落"

_FLAGS = re.IGNORECASE | re.MULTILINE
_ROUNDS = 3

# Zero-width and bidi controls and other invisible characters. They can hide a URL
# (``h\u200bttp://``) or split a citation, so they go first, before any syntax is recognised.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

_LABEL = r"[^\[\]\n]*+"
# An inline link destination: ``(url)``, ``(<url>)`` or ``(url "title")``, one level of parens.
_DEST = (
    r"\([ \t]*+(?:<[^<>\n]*+>|(?:[^()\s]|\([^()\s]*+\))++)?+"
    r"""(?:[ \t]++(?:"[^"\n]*+"|'[^'\n]*+'|\([^()\n]*+\)))?+[ \t]*+\)"""
)
# The same schemes are recognised by the removal pass and by the final substitution pass.
_SCHEME = r"(?:(?:https?|ftp)://|(?:javascript|vbscript):|(?<![a-z0-9])data:|(?<![a-z0-9.．])www\.)"
# A URL runs until whitespace, a bracket, a quote or any non-ASCII character (CJK punctuation).
# (Case-sensitive: under IGNORECASE, "k", "s" and "i" would match their non-ASCII variants.)
_URL_CHAR = r"[^\s<>\"'()\[\]{}*`|\u0080-\U0010ffff]"
_URL_BODY = rf"(?-i:(?:{_URL_CHAR}|\({_URL_CHAR}*+\))*+)"
_BLOCKS = "script|style|iframe|object|noscript|template|svg"

# Each pattern opens with a look-ahead at the characters its alternatives can start with: the
# engine then skips ordinary text in one test per character instead of one per alternative.
_MARKUP = re.compile(
    r"(?=[<!\[(（hfjvdw]|^)"
    rf"(?:(?P<block><(?P<tag>{_BLOCKS})\b[^<>]*+>[\s\S]*?(?:</(?P=tag)[ \t\n]*+>|\Z))"
    r"|(?P<comment><!--[\s\S]*?(?:-->|\Z))"
    r"|(?P<br><br[ \t\n]*+/?>)"
    r"|(?P<html><[a-z/!?][^<>]*+>)"
    rf"|(?P<image>!\[{_LABEL}\]{_DEST})"
    rf"|(?P<image_ref>!\[(?![0-9]++\]){_LABEL}\](?:\[{_LABEL}\])?+)"
    rf"|(?P<link>\[(?P<label>{_LABEL})\]{_DEST})"
    rf"|(?P<dest>(?<=\]){_DEST})"  # the URL of a link whose label holds brackets: [见[1]](url)
    r"|(?P<definition>^(?P<indent>[ \t]{0,3})\[(?P<def_label>[^\[\]\n]++)\]:(?P<def_rest>[^\n]*+)(?:\n|\Z))"
    rf"|(?P<url_paren>[(（][ \t]*+{_SCHEME}{_URL_BODY}[ \t]*+[)）])"
    rf"|(?P<url>{_SCHEME}{_URL_BODY}))",
    _FLAGS,
)
# What may be left after the removal passes, each replaced by a full-width look-alike. Every
# construct _MARKUP removes starts with one of these, so text without them is left unchanged.
_LEFTOVER = re.compile(
    r"(?=[<!(hfjvdw]|^)"
    r"(?:(?P<lt><(?=[a-z/!?]))"
    r"|(?P<bang>!(?=\[))"
    r"|(?<=\])(?P<paren>\()"
    r"|(?P<definition>^[ \t]{0,3}\[[^\[\]\n]++\]):"
    r"|(?P<scheme>(?:https?|ftp)(?=://)|javascript|vbscript|(?<![a-z0-9])data):"
    r"|(?P<www>(?<![a-z0-9.．])www)\.)",
    _FLAGS,
)
_FULL_WIDTH = {"lt": "＜", "bang": "！", "paren": "（"}
# A reference definition whose destination is a URL, a path or an anchor is a link.
_URL_LIKE = re.compile(r"<|[a-z][a-z0-9+.\-]*:|[/#?.]|www\.", re.IGNORECASE)

_CITE = re.compile(r"\[([0-9]{1,3})\]")
_NUMBER = re.compile(r"[0-9]{1,3}")
_ONLY_CITES = re.compile(r"[ \t]*+(?:\[[0-9]{1,3}\][ \t]*+)++")
_CITE_LINK = re.compile(
    r"\[[0-9]{1,3}\](?:[^\[\]\n]*+\])?\("  # [1](…), or [1] inside a link label: [见[1]](…)
    r"|^[ \t]{0,3}\[[0-9]{1,3}\]:[ \t]*+(?P<dest>\S*+)"  # [1]: http://…
    r"|<a\b[^<>]*+>[^<]*?\[[0-9]{1,3}\]",  # <a href=…>[1]
    _FLAGS,
)
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[([^\[\]\n]++)\]:[ \t]*+(\S*+)", _FLAGS)
_CITE_REF = re.compile(r"\[[0-9]{1,3}\]\[([^\[\]\n]*+)\]")

_SENTENCE_END = re.compile(r"(?<=[。！？；!?])")
_LINE_MARKER = re.compile(
    r"^[ \t]*+(?:(?:#{1,6}|>|[-*+•·]|[0-9]{1,2}\.)[ \t]++|[0-9]{1,2}[、)）．][ \t]*+"
    r"|[(（][0-9]{1,2}[)）][ \t]*+|[①-⑳][ \t]*+)*+"
)
_WORD_CHAR = re.compile(r"[^\W_]")
_DIGIT = re.compile(r"[0-9０-９]")


@dataclass(frozen=True)
class GuardVerdict:
    """Whether a generated answer may be shown, why not, and its text without markup."""

    ok: bool
    reason: str
    text: str
    cited: frozenset[int] = frozenset()


def strip_markup(text: str) -> str:
    """``text`` (cut at :data:`MAX_GENERATED_CHARS`) as plain text that keeps its ``[n]`` markers."""
    text = _normalise(text)
    for _ in range(_ROUNDS):
        stripped = _MARKUP.sub(_remove, text)
        if stripped == text:
            break
        text = stripped
    return _neutralise(text)


def check_generated(text: str, allowed: Iterable[int]) -> GuardVerdict:
    """Accept ``text`` only if it is non-empty, cites only ``allowed`` passages and never as a link,
    and every sentence that states something carries a citation.

    A sentence "states something" unless it is short framing (at most
    :data:`MAX_FRAMING_CHARS` letters, digits or CJK characters, without a digit: a number,
    such as a phone number, is always a fact). Sentences end at 。！？；!? and at line ends.
    Citations that open the next fragment (``…活动。[1]``) or stand alone on the next line count
    for the sentence before them, and a citation at the end of a list item counts for that item
    only. ``GuardVerdict.text`` is ``strip_markup(text)`` without surrounding whitespace.
    """
    original = _normalise(text)
    clean = strip_markup(text).strip()
    cited = frozenset(int(n) for n in _CITE.findall(clean))

    def reject(reason: str) -> GuardVerdict:
        return GuardVerdict(False, reason, clean, cited)

    if not _WORD_CHAR.search(_CITE.sub("", clean)):  # nothing left, or nothing but markers
        return reject(REASON_EMPTY)
    if len(text) > MAX_GENERATED_CHARS:
        return reject(REASON_TOO_LONG)
    if _cites_as_links(original):
        return reject(REASON_LINKED)
    if not cited:
        return reject(REASON_NO_CITATION)
    unknown = sorted(cited - set(allowed))
    if unknown:
        return reject(f"{REASON_UNKNOWN}（编号 {'、'.join(str(n) for n in unknown)}）")
    if not _every_fact_cited(clean):
        return reject(REASON_UNCITED)
    return GuardVerdict(True, "", clean, cited)


# --- stripping ----------------------------------------------------------------------------
def _normalise(text: str) -> str:
    text = str(text)[:MAX_GENERATED_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text)


def _remove(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "br":
        return "\n"
    if kind == "link":
        label = match["label"]
        if _NUMBER.fullmatch(label):  # [1](url): the number stays a citation marker
            return f"[{label}]"
        return _MARKUP.sub(_remove, label)  # a label holds no brackets: one level deep
    if kind == "definition":
        rest = match["def_rest"]
        destination = rest.split(None, 1)[0] if rest.strip() else ""
        if destination and _URL_LIKE.match(destination):
            return ""  # a pure link definition goes with its line
        label = _MARKUP.sub(_remove, match["def_label"])
        newline = "\n" if match.group(0).endswith("\n") else ""
        return f"{match['indent']}[{label}]：{_MARKUP.sub(_remove, rest.lstrip())}{newline}"
    return ""  # block, comment, html, image, image_ref, dest, url_paren, url


def _neutralise(text: str) -> str:
    return _LEFTOVER.sub(_full_width, text)


def _full_width(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    if kind in _FULL_WIDTH:
        return _FULL_WIDTH[kind]
    if kind == "definition":
        return _neutralise(match["definition"]) + "："
    if kind == "scheme":
        return match["scheme"] + "："
    return match["www"] + "．"


# --- checking -----------------------------------------------------------------------------
def _cites_as_links(text: str) -> bool:
    """A citation that is itself a link: inline, by a reference definition, or inside ``<a>``."""
    for match in _CITE_LINK.finditer(text):
        destination = match["dest"]
        if destination is None or _URL_LIKE.match(destination):
            return True
    linked = {
        label.casefold() for label, dest in _REF_DEFINITION.findall(text) if dest and _URL_LIKE.match(dest)
    }
    return bool(linked) and any(ref.casefold() in linked for ref in _CITE_REF.findall(text))


def _every_fact_cited(text: str) -> bool:
    sentences: list[list[bool]] = []  # [states a fact, cites] per sentence, in order
    for line in text.split("\n"):
        body = _LINE_MARKER.sub("", line, count=1)
        for i, fragment in enumerate(_SENTENCE_END.split(body)):
            lead = _ONLY_CITES.match(fragment)
            if lead and sentences and (i > 0 or not _WORD_CHAR.search(fragment[lead.end() :])):
                # "…活动。[1]" or a line of only "[1]": the citation belongs to the sentence before.
                sentences[-1][1] = True
                fragment = fragment[lead.end() :]
            words = _CITE.sub("", fragment)
            if not _WORD_CHAR.search(words):
                continue
            fact = len(_WORD_CHAR.findall(words)) > MAX_FRAMING_CHARS or bool(_DIGIT.search(words))
            sentences.append([fact, bool(_CITE.search(fragment))])
    return all(cites for fact, cites in sentences if fact)
