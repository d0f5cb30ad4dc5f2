"""In-force status of indexed documents: parsed facts per document, statuses over the collection.

Why two steps: whether a document is current is not a property of its own text alone — a law
indexed later may repeal it, and removing that law makes it current again. So each document's
*facts* are parsed once at ingest (title key, 施行日期, version date, a declared ``status`` and the
titles it repeals or amends) and stored in the manifest; *statuses* are a pure function of the
facts of everything indexed, recomputed after every ingest or removal and never baked into chunks.

Rules (:func:`compute_statuses`), strongest first:

* a newer indexed document whose text repeals a title (…《X》同时废止 / 《X》废止) makes every older
  document of that title ``repealed`` (``repealed_by``: title, article, date);
* of several versions of one title only the newest is current; the older ones are ``repealed``
  with ``superseded_by``;
* a document another indexed one says it amends (关于修改《X》的决定 / 对《X》作如下修改) is ``amended``;
* else a declared front-matter ``status``, else ``in_force`` when a date is known, else ``unknown``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from assistant.components.chunking.numerals import parse_numeral
from assistant.components.knowledge_pack import title_key

STATUSES = ("in_force", "repealed", "amended", "unknown")
#: Chinese spellings a front matter may use for ``status``.
_STATUS_ALIASES = {
    "现行有效": "in_force",
    "有效": "in_force",
    "现行": "in_force",
    "已废止": "repealed",
    "废止": "repealed",
    "失效": "repealed",
    "已失效": "repealed",
    "已修改": "amended",
    "已修正": "amended",
    "尚未生效": "unknown",
    "未知": "unknown",
}
#: Bumped when parsing changes; rows parsed by an older version are parsed again.
FACTS_VERSION = 1
#: Bounds: a title in 《》, the clauses kept per document, the text scanned for clauses.
MAX_TITLE_CHARS = 120
MAX_CLAUSES = 50
MAX_SCAN_CHARS = 2_000_000

_CN_DIGITS = "〇○零一二三四五六七八九十"
_DATE_RE = re.compile(
    rf"([0-9]{{4}}|[{_CN_DIGITS}]{{4}})\s*年\s*([0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*月"
    rf"\s*([0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*日"
)
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_EFFECTIVE_RE = re.compile(rf"自\s*({_DATE_RE.pattern})\s*起\s*(?:施行|实施|生效)")
_ARTICLE_LINE_RE = re.compile(r"(?m)^[ \t\u3000#]*(第[零〇一二两三四五六七八九十百千\d]+条)")
_SENTENCE_RE = re.compile(r"[^。；;\n]+[。；;]?")
_VERBS = ("废止", "失效", "修改", "修正")
_JOINER_RE = re.compile(r"\s*[和及与、，,]\s*")
_REPEAL_AFTER_RE = re.compile(r"^\s*(?:同时|即行|予以|一并)?\s*(?:废止|失效)")
_REPEAL_BEFORE_RE = re.compile(r"(?:同时|即行|予以|一并)?废止\s*$")
_AMEND_AFTER_RE = re.compile(r"^\s*(?:作如下修改|作如下修正|作出如下修改|作出如下修正|的部分条款作)")
_AMEND_BEFORE_RE = re.compile(r"关于(?:修改|修正)\s*$")
_AMEND_TITLE_RE = re.compile(r"关于(?:修改|修正)")
_FRONT_EFFECTIVE_KEYS = ("effective_date", "effective", "施行日期")


@dataclass(frozen=True)
class Clause:
    """One title a document repeals or amends, and where it says so."""

    title: str
    key: str
    article: str = ""
    #: The date written before the title (…通过的《X》): which enactment of X is meant.
    adopted: str = ""


@dataclass(frozen=True)
class DocumentFacts:
    """What a document's own text and front matter say about its validity."""

    key: str
    effective_date: str = ""
    version_date: str = ""
    declared_status: str = ""
    repeals: tuple[Clause, ...] = ()
    amends: tuple[Clause, ...] = ()
    #: :data:`FACTS_VERSION` of the parser that wrote these facts.
    version: int = FACTS_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocumentFacts:
        def clauses(name: str) -> tuple[Clause, ...]:
            return tuple(Clause(**{k: str(v) for k, v in c.items()}) for c in data.get(name) or ())

        return cls(
            key=str(data.get("key", "")),
            effective_date=str(data.get("effective_date", "")),
            version_date=str(data.get("version_date", "")),
            declared_status=str(data.get("declared_status", "")),
            repeals=clauses("repeals"),
            amends=clauses("amends"),
            version=int(data.get("version", 0)),
        )


@dataclass(frozen=True)
class DocumentRecord:
    """An indexed document as status computation sees it (``path`` is the manifest key)."""

    path: str
    title: str
    facts: DocumentFacts


@dataclass(frozen=True)
class DocumentStatus:
    """A document's status over the present collection."""

    status: str
    effective_date: str = ""
    version_date: str = ""
    #: {"title", "article", "date"} of the repealing (or newer-version) document.
    repealed_by: dict[str, str] | None = None
    superseded_by: dict[str, str] | None = None
    amended_by: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocumentStatus:
        def ref(name: str) -> dict[str, str] | None:
            value = data.get(name)
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None

        return cls(
            status=str(data.get("status") or "unknown"),
            effective_date=str(data.get("effective_date", "")),
            version_date=str(data.get("version_date", "")),
            repealed_by=ref("repealed_by"),
            superseded_by=ref("superseded_by"),
            amended_by=ref("amended_by"),
        )


# --- parsing -------------------------------------------------------------------------------
def status_key(name: str) -> str:
    """A title reduced for matching across documents: :func:`title_key` (no 《》〈〉, no
    中华人民共和国, no ``.md`` or ``(YYYY-MM-DD)``) and without quotation marks."""
    return re.sub(r"[“”\"'‘’]", "", title_key(name))


def parse_document_facts(
    title: str,
    text: str,
    front_matter: Mapping[str, Any] | None = None,
    version_date: str = "",
    file: str = "",
) -> DocumentFacts:
    """Parse one document's validity facts; a bad front-matter ``status`` raises ValueError."""
    fm = front_matter or {}
    body = text[:MAX_SCAN_CHARS]
    declared = _declared_status(fm.get("status"), file)
    effective = ""
    for name in _FRONT_EFFECTIVE_KEYS:
        effective = _as_date(fm.get(name))
        if effective:
            break
    if not effective:
        found = [_cn_date(m.group(1)) for m in _EFFECTIVE_RE.finditer(body)]
        effective = next((d for d in reversed(found) if d), "")
    own = status_key(title)
    repeals, amends = _clauses(body, own)
    if _AMEND_TITLE_RE.search(title):
        amends = _titles_in(title, own)[:MAX_CLAUSES] + amends
    return DocumentFacts(
        key=own,
        effective_date=effective,
        version_date=version_date,
        declared_status=declared,
        repeals=tuple(_unique(repeals)),
        amends=tuple(_unique(amends)),
    )


def _declared_status(value: Any, file: str) -> str:
    if value is None or str(value).strip() == "":
        return ""
    raw = str(value).strip()
    status = _STATUS_ALIASES.get(raw, raw.lower())
    if status not in STATUSES:
        where = f"{file}: " if file else ""
        allowed = "/".join(STATUSES)
        raise ValueError(
            f"{where}元数据字段 status 的值“{raw[:40]}”无效，应为 {allowed} 或 现行有效/已废止/已修改"
        )
    return status


def _clauses(body: str, own: str) -> tuple[list[Clause], list[Clause]]:
    """Titles the body repeals and amends, each with the article saying so.

    A run of titles (《甲》、《乙》同时废止) is judged by the words after its last title and before
    its first: …《X》同时废止 / 《X》废止 / 同时废止《X》 repeal; 对《X》作如下修改 / 关于修改《X》 amend.
    """
    repeals: list[Clause] = []
    amends: list[Clause] = []
    if not any(word in body for word in _VERBS):
        return repeals, amends
    articles = [(m.start(), m.group(1)) for m in _ARTICLE_LINE_RE.finditer(body)]
    for sentence in _SENTENCE_RE.finditer(body):
        words = sentence.group(0)
        if "《" not in words or not any(word in words for word in _VERBS):
            continue
        article = next((label for start, label in reversed(articles) if start <= sentence.start()), "")
        for run in _runs(words, _title_spans(words)):
            before, after = words[: run[0][0]], words[run[-1][1] :]
            if _REPEAL_AFTER_RE.match(after) or _REPEAL_BEFORE_RE.search(before):
                target = repeals
            elif _AMEND_AFTER_RE.match(after) or _AMEND_BEFORE_RE.search(before):
                target = amends
            else:
                continue
            for start, _, name in run:
                found = _last_date(words[:start])
                target.append(
                    Clause(name, status_key(name), article, _cn_date(found.group(0)) if found else "")
                )
            if len(repeals) + len(amends) >= MAX_CLAUSES:
                break
    return [c for c in repeals if c.key], [c for c in amends if c.key and c.key != own]


def _runs(text: str, spans: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Titles joined only by 和/及/与/、 form one run."""
    runs: list[list[tuple[int, int, str]]] = []
    for span in spans:
        if runs and _JOINER_RE.fullmatch(text[runs[-1][-1][1] : span[0]]):
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def _title_spans(text: str) -> list[tuple[int, int, str]]:
    """Outermost 《…》 titles of ``text`` with their spans; nested 《》/〈〉 stay inside."""
    spans: list[tuple[int, int, str]] = []
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "《":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "》" and depth > 0:
            depth -= 1
            if depth == 0:
                name = text[start + 1 : i].strip()
                if 0 < len(name) <= MAX_TITLE_CHARS:
                    spans.append((start, i + 1, name))
    return spans


def _titles_in(text: str, own: str) -> list[Clause]:
    """Titles a 关于修改〈X〉的决定 names (in its own title, brackets 〈〉 or 《》)."""
    inner = re.findall(r"[〈《]([^〈〉《》]{1,120})[〉》]", text)
    return [Clause(name, status_key(name)) for name in inner if status_key(name) and status_key(name) != own]


def _unique(clauses: Iterable[Clause]) -> list[Clause]:
    seen: set[str] = set()
    out: list[Clause] = []
    for clause in clauses:
        if clause.key not in seen:
            seen.add(clause.key)
            out.append(clause)
    return out


def _last_date(text: str) -> re.Match[str] | None:
    matches = list(_DATE_RE.finditer(text))
    return matches[-1] if matches else None


def _cn_date(text: str) -> str:
    m = _DATE_RE.search(text)
    if not m:
        return ""
    parts = [parse_numeral(p) if not p.isdigit() else int(p) for p in m.groups()]
    if m.group(1) and not m.group(1).isdigit():  # 二〇〇六 reads digit by digit
        digits = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"○": "0", "零": "0"}
        year = "".join(digits.get(c, "") for c in m.group(1))
        parts[0] = int(year) if len(year) == 4 else None
    if any(p is None for p in parts):
        return ""
    return _ymd(int(parts[0] or 0), int(parts[1] or 0), int(parts[2] or 0))


def _as_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        found = _ISO_RE.match(value.strip())
        if found:
            return _ymd(*(int(p) for p in found.groups()))
        return _cn_date(value)
    return ""


def _ymd(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


# --- computing ------------------------------------------------------------------------------
def _date_of(record: DocumentRecord) -> str:
    """The date that orders versions: version date, else effective date ('' sorts first)."""
    return record.facts.version_date or record.facts.effective_date


def _older(target: DocumentRecord, actor: DocumentRecord) -> bool:
    """True unless ``target`` is known to be newer than ``actor`` (unknown dates do not block)."""
    t, a = _date_of(target), _date_of(actor)
    return not (t and a and t > a)


def _ref(actor: DocumentRecord, article: str = "") -> dict[str, str]:
    return {
        "title": actor.title,
        "article": article,
        "date": actor.facts.effective_date or actor.facts.version_date,
    }


def compute_statuses(records: Iterable[DocumentRecord]) -> dict[str, DocumentStatus]:
    """Status of every record (by ``path``) given all indexed records. Deterministic."""
    docs = sorted(records, key=lambda r: r.path)
    by_key: dict[str, list[DocumentRecord]] = {}
    for record in docs:
        by_key.setdefault(record.facts.key or status_key(record.title), []).append(record)
    repealed_by: dict[str, dict[str, str]] = {}
    amended_by: dict[str, dict[str, str]] = {}
    superseded_by: dict[str, dict[str, str]] = {}
    # newest actor first, so a repeal names the latest document that repeals the target
    actors = sorted(docs, key=lambda r: (_date_of(r), r.path), reverse=True)
    for actor in actors:
        for clause in actor.facts.repeals:
            for target in by_key.get(clause.key, []):
                if target.path != actor.path and target.path not in repealed_by and _older(target, actor):
                    repealed_by[target.path] = _ref(actor, clause.article)
        for clause in actor.facts.amends:
            for target in by_key.get(clause.key, []):
                if target.path != actor.path and target.path not in amended_by and _older(target, actor):
                    amended_by[target.path] = _ref(actor, clause.article)
    for versions in by_key.values():
        if len(versions) < 2:
            continue
        ordered = sorted(versions, key=lambda r: (_date_of(r), r.path), reverse=True)
        newest = ordered[0]
        for older in ordered[1:]:
            # only versions whose dates order them: equal or unknown dates cannot say which is newer
            if _date_of(older) and _date_of(older) < _date_of(newest):
                superseded_by[older.path] = _ref(newest)
    out: dict[str, DocumentStatus] = {}
    for record in docs:
        facts, path = record.facts, record.path
        base = DocumentStatus("unknown", facts.effective_date, facts.version_date)
        if path in repealed_by:
            out[path] = replace(base, status="repealed", repealed_by=repealed_by[path])
        elif path in superseded_by:
            ref = superseded_by[path]
            out[path] = replace(base, status="repealed", repealed_by=ref, superseded_by=ref)
        elif path in amended_by:
            out[path] = replace(base, status="amended", amended_by=amended_by[path])
        elif facts.declared_status:
            out[path] = replace(base, status=facts.declared_status)
        elif facts.effective_date or facts.version_date:
            out[path] = replace(base, status="in_force")
        else:
            out[path] = base
    return out


def describe_date(iso: str) -> str:
    """2024-11-01 → 2024年11月1日 (empty stays empty)."""
    m = _ISO_RE.match(iso or "")
    return f"{int(m.group(1))}年{int(m.group(2))}月{int(m.group(3))}日" if m else ""


__all__ = [
    "STATUSES",
    "Clause",
    "DocumentFacts",
    "DocumentRecord",
    "DocumentStatus",
    "compute_statuses",
    "describe_date",
    "parse_document_facts",
    "status_key",
]
