"""Document-level metadata: what a document is, where it applies and how current it is.

Filters in the app (法规 / 上海 / audience) and citations (《标题》第X条) depend on these
values, so they are inferred from the strongest evidence first: explicit front matter, then
the file name, then the text itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from assistant.components.chunking.numerals import parse_numeral
from assistant.components.chunking.patterns import (
    MD_HEADING_RE,
    count_article_lines,
    match_article,
    match_heading,
)
from assistant.domain import DOC_TYPES, LoadedDocument

REGULATION_SUFFIXES = ("条例", "法", "办法", "规定", "规则", "细则", "决定")
POLICY_WORDS = ("意见", "通知", "方案", "规划", "纲要", "计划")
#: Provincial-level divisions, then a few large cities whose own rules users may load.
PLACES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "广州", "深圳", "南京", "杭州", "武汉", "成都", "西安", "沈阳", "大连", "青岛",
    "宁波", "厦门", "济南", "苏州",
)  # fmt: skip
NATIONAL = "国家"
_DATE_IN_NAME_RE = re.compile(r"[(（](\d{4})-(\d{1,2})-(\d{1,2})[)）]")
_CN_DATE_RE = re.compile(
    r"([0-9]{4}|[〇○零一二三四五六七八九]{4})\s*年\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_TRAILING_NOTE_RE = re.compile(r"\s*[(（][^()（）]{1,20}[)）]\s*$")  # （试行） (2021年修订)
_PAPER_MARKERS_RE = re.compile(r"摘\s*要|关\s*键\s*词|参\s*考\s*文\s*献")
_TOP_NUMBERING_RE = re.compile(r"^\s*[一二三四五六七八九十]+、")
_SUB_NUMBERING_RE = re.compile(r"^\s*[(（][一二三四五六七八九十]+[)）]")


@dataclass(frozen=True)
class DocumentMeta:
    """The metadata every chunk of a document carries (see the Chunk metadata contract)."""

    doc_id: str
    title: str
    file: str
    doc_type: str
    jurisdiction: str
    version_date: str
    audience: tuple[str, ...]
    hazards: tuple[str, ...]
    #: Numbers a self-rescue guide declares (front matter ``emergency_numbers``), shown first.
    emergency_numbers: tuple[str, ...] = ()


def infer_document_meta(doc: LoadedDocument) -> DocumentMeta:
    """Infer title, type, jurisdiction and version date of ``doc`` (front matter wins)."""
    fm = doc.front_matter or {}
    title = infer_title(doc)
    doc_type = _front_str(fm, "doc_type")
    if doc_type not in DOC_TYPES:
        doc_type = infer_doc_type(title, doc.text)
    jurisdiction = _front_str(fm, "jurisdiction") or infer_jurisdiction(title, doc_type)
    return DocumentMeta(
        doc_id=document_id(doc),
        title=title,
        file=doc.path.name,
        doc_type=doc_type,
        jurisdiction=jurisdiction,
        version_date=infer_version_date(doc),
        audience=_front_list(fm, "audience"),
        hazards=_front_list(fm, "hazards"),
        emergency_numbers=_front_list(fm, "emergency_numbers"),
    )


def document_id(doc: LoadedDocument) -> str:
    """First 16 hex chars of the content hash (of the text when a caller built the doc by hand)."""
    digest = doc.content_hash or hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    return digest[:16]


def clean_title(title: str) -> str:
    """A title without enclosing 《》 and surrounding whitespace."""
    title = re.sub(r"\s+", " ", title).strip()
    while title.startswith("《") and title.endswith("》"):
        inner = title[1:-1].strip()
        if not _balanced(inner):
            break  # 《甲》与《乙》: the brackets belong to two titles
        title = inner
    return title


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "《") - (ch == "》")
        if depth < 0:
            return False
    return depth == 0


def infer_title(doc: LoadedDocument) -> str:
    """Front matter title > first ``#`` heading > first short line > file stem."""
    given = _front_str(doc.front_matter or {}, "title")
    if given:
        return clean_title(given)
    first_line = ""
    for line in doc.text.splitlines():
        heading = MD_HEADING_RE.match(line.strip())
        if heading and heading.group(1) == "#":
            return clean_title(heading.group(2))
        if not first_line and line.strip() and not line.lstrip().startswith("<!--"):
            first_line = line.strip()
    if first_line and len(first_line) <= 60 and not MD_HEADING_RE.match(first_line):
        return clean_title(first_line)
    return clean_title(_strip_date_suffix(doc.path.stem)) or doc.path.stem


def infer_doc_type(title: str, text: str) -> str:
    """Regulation, policy, paper or guide, from the title's form word and the text's shape."""
    core = _TRAILING_NOTE_RE.sub("", title)
    if count_article_lines(text) >= 3 and core.endswith(REGULATION_SUFFIXES):
        return "regulation"
    if core.endswith(POLICY_WORDS):
        return "policy"
    lines = text.splitlines()
    if _PAPER_MARKERS_RE.search(text[:3000]) or (
        sum(1 for line in lines if _TOP_NUMBERING_RE.match(line)) >= 2
        and any(_SUB_NUMBERING_RE.match(line) for line in lines)
    ):
        return "paper"
    return "guide"


def infer_jurisdiction(title: str, doc_type: str) -> str:
    """Place named at the start of the title; national for laws and place-less regulations."""
    bare = title.lstrip("《")
    for place in PLACES:
        if bare.startswith(place):
            return place
    if bare.startswith(("中华人民共和国", "国务院", "全国")):
        return NATIONAL
    core = _TRAILING_NOTE_RE.sub("", bare)
    if doc_type == "regulation" or (doc_type == "policy" and core.endswith(REGULATION_SUFFIXES)):
        return NATIONAL
    return ""


def infer_version_date(doc: LoadedDocument) -> str:
    """``YYYY-MM-DD`` from front matter, the file name or the preamble, else ""."""
    fm = doc.front_matter or {}
    for key in ("updated", "date", "version_date"):
        value = _as_date(fm.get(key))
        if value:
            return value
    found = _DATE_IN_NAME_RE.search(doc.path.name)
    if found:
        value = _ymd(*(int(part) for part in found.groups()))
        if value:
            return value
    preamble = str(fm.get("preamble") or "") + "\n" + _text_preamble(doc.text)
    dates = [
        value
        for match in _CN_DATE_RE.finditer(preamble)
        if (value := _ymd(*(parse_numeral(part) or 0 for part in match.groups())))
    ]
    return max(dates) if dates else ""


def _text_preamble(text: str) -> str:
    """Lines before the first chapter or article, only for texts that have articles."""
    if count_article_lines(text) < 3:
        return ""
    head: list[str] = []
    for line in text.splitlines():
        if match_article(line) or match_heading(line):
            break
        head.append(line)
    return "\n".join(head)


def _strip_date_suffix(stem: str) -> str:
    return _DATE_IN_NAME_RE.sub("", stem).strip()


def _ymd(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


def _as_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        found = _ISO_DATE_RE.match(value.strip())
        if found:
            return _ymd(*(int(part) for part in found.groups()))
    return ""


def _front_str(fm: dict[str, Any], key: str) -> str:
    value = fm.get(key)
    return str(value).strip() if value is not None and not isinstance(value, list | dict) else ""


def _front_list(fm: dict[str, Any], key: str) -> tuple[str, ...]:
    """A front-matter list (or comma-separated string) as a tuple of non-empty strings."""
    value = fm.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else re.split(r"[,，、\s]+", str(value))
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
