"""Validity facts parsed from a document's text, and statuses computed over a collection."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.components.document_status import (
    Clause,
    DocumentFacts,
    DocumentRecord,
    compute_statuses,
    describe_date,
    parse_document_facts,
    status_key,
)
from assistant.components.manifest import MIGRATIONS, Manifest

NEW_LAW = """# 上海市示例防雷条例

第一条 为了规范防雷工作，制定本条例。

第二条 雷电防护装置应当每年检测一次。

第九条 本条例自2025年3月1日起施行。2010年5月6日市人大常委会通过的\
《上海市实施〈中华人民共和国示例防雷法〉办法》同时废止。
"""


def facts(title: str, text: str = "", **kw: object) -> DocumentFacts:
    return parse_document_facts(title, text, **kw)  # type: ignore[arg-type]


def record(path: str, title: str, text: str = "", version_date: str = "", **fm: object) -> DocumentRecord:
    return DocumentRecord(path, title, parse_document_facts(title, text, fm, version_date, Path(path).name))


# --- parsing -------------------------------------------------------------------------------
def test_repeal_clause_with_adoption_date_and_nested_brackets() -> None:
    parsed = facts("上海市示例防雷条例", NEW_LAW, version_date="2024-12-20")
    assert parsed.effective_date == "2025-03-01"
    assert parsed.version_date == "2024-12-20"
    assert parsed.repeals == (
        Clause(
            "上海市实施〈中华人民共和国示例防雷法〉办法",
            status_key("上海市实施《示例防雷法》办法(2018-11-22).md"),
            "第九条",
            "2010-05-06",
        ),
    )
    assert parsed.amends == ()


@pytest.mark.parametrize(
    ("sentence", "repealed"),
    [
        ("第五条 本办法自2021年1月1日起施行，《甲市排水规定》废止。", ["甲市排水规定"]),
        ("第五条 本办法施行之日起，《甲规定》、《乙规定》同时废止。", ["甲规定", "乙规定"]),
        ("第五条 本条例施行时，同时废止《丙市燃气办法》。", ["丙市燃气办法"]),
        ("第五条 本条例自公布之日起施行，《丁规定》即行失效。", ["丁规定"]),
        # naming a law is not repealing it
        ("第五条 违反本条例的，依照《中华人民共和国消防法》处罚；废止的标准不再适用。", []),
        ("第五条 依照《戊法》的规定，可以撤销或者废止有关决定。", []),
    ],
)
def test_repeal_phrasings(sentence: str, repealed: list[str]) -> None:
    parsed = facts("某条例", f"# 某条例\n\n{sentence}\n")
    assert [c.title for c in parsed.repeals] == repealed
    assert all(c.article == "第五条" for c in parsed.repeals)


def test_amendments_in_title_and_body() -> None:
    decision = facts("关于修改〈上海市示例条例〉的决定", "一、对《上海市示例条例》作如下修改：删去第三条。")
    assert [c.key for c in decision.amends] == [status_key("上海市示例条例")]
    assert decision.repeals == ()


def test_effective_date_sources() -> None:
    assert facts("甲", "第九条 本法自二〇一〇年四月一日起施行。").effective_date == "2010-04-01"
    front = parse_document_facts("甲", "第九条 本法自2010年4月1日起施行。", {"effective_date": "2011-02-03"})
    assert front.effective_date == "2011-02-03"  # front matter wins
    assert facts("甲", "第九条 本条例自公布之日起施行。").effective_date == ""


def test_declared_status_aliases_and_bad_value() -> None:
    assert parse_document_facts("甲", "", {"status": "已废止"}).declared_status == "repealed"
    assert parse_document_facts("甲", "", {"status": "In_Force"}).declared_status == "in_force"
    with pytest.raises(ValueError, match=r"甲\.md.*status.*“作废了”"):
        parse_document_facts("甲", "", {"status": "作废了"}, file="甲.md")


def test_title_keys_fold_variants() -> None:
    assert status_key("《上海市实施〈中华人民共和国气象法〉办法》") == status_key(
        "上海市实施《气象法》办法(2018-11-22).md"
    )
    assert status_key("中华人民共和国气象条例") != status_key("上海市气象条例")


def test_facts_round_trip_json() -> None:
    parsed = facts("上海市示例防雷条例", NEW_LAW, version_date="2024-12-20")
    assert DocumentFacts.from_json(json.loads(json.dumps(parsed.to_json()))) == parsed


# --- computing -----------------------------------------------------------------------------
OLD = (
    "# 上海市实施《示例防雷法》办法\n\n第一条 防雷装置每半年检测一次。\n\n"
    "第九条 本办法自2010年7月1日起施行。\n"
)


def test_later_repeal_flips_the_older_document_and_only_it() -> None:
    old = record("/c/old.md", "上海市实施《中华人民共和国示例防雷法》办法", OLD, "2018-11-22")
    new = record("/c/new.md", "上海市示例防雷条例", NEW_LAW, "2024-12-20")
    alone = compute_statuses([old])
    assert alone["/c/old.md"].status == "in_force"
    both = compute_statuses([old, new])
    assert both["/c/old.md"].status == "repealed"
    assert both["/c/old.md"].repealed_by == {
        "title": "上海市示例防雷条例",
        "article": "第九条",
        "date": "2025-03-01",
    }
    assert both["/c/old.md"].effective_date == "2010-07-01"
    assert both["/c/new.md"].status == "in_force"
    assert both["/c/new.md"].repealed_by is None
    # removing the repealing law makes the older one current again
    assert compute_statuses([old])["/c/old.md"].status == "in_force"


def test_repeal_of_a_document_not_indexed_changes_nothing() -> None:
    new = record("/c/new.md", "上海市示例防雷条例", NEW_LAW, "2024-12-20")
    other = record("/c/other.md", "上海市示例气象条例", "第一条 本条例自2020年1月1日起施行。", "2019-12-01")
    statuses = compute_statuses([new, other])
    assert {p: s.status for p, s in statuses.items()} == {"/c/new.md": "in_force", "/c/other.md": "in_force"}


def test_a_repealer_older_than_its_target_does_not_flip_it() -> None:
    old = record("/c/old.md", "上海市实施《示例防雷法》办法", OLD, "2026-01-01")  # re-enacted later
    new = record("/c/new.md", "上海市示例防雷条例", NEW_LAW, "2024-12-20")
    assert compute_statuses([old, new])["/c/old.md"].status == "in_force"


def test_two_versions_of_one_title_keep_only_the_newest() -> None:
    v1 = record("/c/x(2015-01-01).md", "上海市示例条例", "第一条 甲。", "2015-01-01")
    v2 = record("/c/x(2021-06-01).md", "上海市示例条例", "第一条 乙。", "2021-06-01")
    statuses = compute_statuses([v2, v1])
    assert statuses["/c/x(2021-06-01).md"].status == "in_force"
    older = statuses["/c/x(2015-01-01).md"]
    assert older.status == "repealed"
    assert older.superseded_by == {"title": "上海市示例条例", "article": "", "date": "2021-06-01"}
    # versions whose dates cannot order them are both left alone
    undated = [record("/c/a.md", "上海市示例条例"), record("/c/b.md", "上海市示例条例")]
    assert {s.status for s in compute_statuses(undated).values()} == {"unknown"}


def test_amended_declared_and_unknown() -> None:
    target = record("/c/t.md", "上海市示例条例", "第一条 甲。", "2015-01-01")
    decision = record(
        "/c/d.md", "关于修改〈上海市示例条例〉的决定", "一、对《上海市示例条例》作如下修改。", "2019-01-01"
    )
    statuses = compute_statuses([target, decision])
    assert statuses["/c/t.md"].status == "amended"
    assert statuses["/c/t.md"].amended_by == {
        "title": "关于修改〈上海市示例条例〉的决定",
        "article": "",
        "date": "2019-01-01",
    }
    declared = record("/c/z.md", "某规定", "第一条 甲。", "", status="repealed")
    assert compute_statuses([declared])["/c/z.md"].status == "repealed"
    assert compute_statuses([record("/c/u.md", "某指南", "没有日期")])["/c/u.md"].status == "unknown"


def test_describe_date() -> None:
    assert describe_date("2024-11-01") == "2024年11月1日"
    assert describe_date("") == ""


# --- manifest migration --------------------------------------------------------------------
def test_an_old_manifest_migrates_in_place(tmp_path: Path) -> None:
    """A manifest written before migration 3 keeps its rows and gains empty validity columns."""
    db = tmp_path / "manifest.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for number, script in enumerate(MIGRATIONS[:2], start=1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (number,))
        conn.execute(
            "INSERT INTO documents (collection, path, doc_id, content_hash, title, version_date, chunk_ids,"
            " ingested_at) VALUES ('c', '/x/a.md', 'd1', 'h', '甲条例', '2018-01-01', '[\"1\"]', 'then')"
        )
        conn.execute("INSERT INTO generations (collection, generation) VALUES ('c', 4)")
    manifest = Manifest(tmp_path, "c")
    entry = manifest.entries()["/x/a.md"]
    assert (entry.title, entry.version_date, entry.chunk_ids) == ("甲条例", "2018-01-01", ["1"])
    assert (entry.facts, entry.status, entry.effective_date, entry.status_detail) == ("", "unknown", "", "{}")
    assert manifest.generation() == 4
    # facts written later bump the generation (readers cache statuses per generation) …
    manifest.set_facts({"/x/a.md": ("2018-03-01", '{"key": "甲条例"}')})
    assert manifest.generation() == 5
    # … statuses do not, and an unchanged status writes nothing
    assert manifest.set_statuses({"/x/a.md": ("in_force", "{}")}) == 1
    assert manifest.set_statuses({"/x/a.md": ("in_force", "{}")}) == 0
    assert manifest.generation() == 5
    with sqlite3.connect(db) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


# --- the shared corpus ----------------------------------------------------------------------
def _shared_records(folder: Path) -> list[DocumentRecord]:
    from assistant.components.chunking.metadata import infer_title, infer_version_date
    from assistant.components.loaders.markdown_text import split_front_matter
    from assistant.domain import LoadedDocument

    out = []
    for path in sorted(folder.glob("*.md")):
        fm, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
        doc = LoadedDocument(path, body, "md", fm)
        title = infer_title(doc)
        out.append(
            DocumentRecord(str(path), title, parse_document_facts(title, body, fm, infer_version_date(doc)))
        )
    return out


@pytest.mark.shared
def test_shared_corpus_statuses(shared_regulations: Path) -> None:
    records = _shared_records(shared_regulations)
    statuses = compute_statuses(records)
    by_title = {r.title: statuses[r.path] for r in records}
    banfa = by_title["上海市实施《中华人民共和国气象法》办法"]
    assert banfa.status == "repealed"
    assert banfa.repealed_by == {"title": "上海市气象条例", "article": "第四十一条", "date": "2024-11-01"}
    assert by_title["上海市气象条例"].status == "in_force"
    assert by_title["上海市气象条例"].effective_date == "2024-11-01"
    # 气象法 repeals the 1994 State Council 气象条例 and 排水与污水处理条例 the 1996 排水管理条例:
    # neither is indexed, so nothing else flips (上海市气象条例 is a different title)
    assert [t for t, s in by_title.items() if s.status == "repealed"] == [
        "上海市实施《中华人民共和国气象法》办法"
    ]
    repeals = {r.title: [c.title for c in r.facts.repeals] for r in records if r.facts.repeals}
    assert repeals == {
        "上海市气象条例": ["上海市实施〈中华人民共和国气象法〉办法"],
        "中华人民共和国气象法": ["中华人民共和国气象条例"],
        "上海市排水与污水处理条例": ["上海市排水管理条例"],
    }
