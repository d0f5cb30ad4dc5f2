"""Document status end to end: real ingest into Chroma, retrieval metadata, search, answers.

The synthetic regulations are written here (our own words); the shared pair 《上海市实施〈气象法〉
办法》 → 《上海市气象条例》 is read from ../shared in place (never copied into the project).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.domain import ScoredChunk
from assistant.factory import Assistant, build_assistant
from assistant.services.answer_plans import make_plan
from assistant.services.compose import repeal_notices
from assistant.services.search import SearchService
from assistant.settings import load_settings

OLD_NAME = "上海市实施《示例防雷法》办法(2018-11-22).md"
OLD = """# 上海市实施《中华人民共和国示例防雷法》办法

第一条 为了实施示例防雷法，结合本市情况，制定本办法。

第二条 住宅小区的物业应当每半年委托检测机构对避雷装置检测一次，发现损坏及时报修。

第三条 本办法自2010年7月1日起施行。
"""
NEW_NAME = "上海市示例防雷条例(2024-12-20).md"
NEW = """# 上海市示例防雷条例

第一条 为了规范本市雷电防护工作，制定本条例。

第二条 雷电防护装置的所有人或者管理人应当每年委托具备资质的机构对装置检测一次。

第三条 本条例自2025年3月1日起施行。2010年5月6日市人大常委会通过的\
《上海市实施〈中华人民共和国示例防雷法〉办法》同时废止。
"""
QUESTION = "小区的避雷装置要多久检测一次？"


def make(index: Path) -> Assistant:
    return build_assistant(load_settings(index_dir=index, data_dir=index / "data"))


def status_of(assistant: Assistant, name: str) -> tuple[str, str]:
    entry = next(e for p, e in assistant.manifest.entries().items() if Path(p).name == name)
    return entry.status, entry.status_detail


def retrieved_meta(assistant: Assistant, title: str) -> dict[str, object]:
    """Metadata of the first retrieved passage of ``title`` (as ranking and answers see it)."""
    items = assistant.retriever.retrieve(QUESTION, k=10, audience="staff").items
    return next(dict(i.chunk.metadata) for i in items if i.chunk.title == title)


@pytest.mark.slow
def test_a_later_repeal_flips_the_older_document_and_removal_flips_it_back(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / OLD_NAME).write_text(OLD, encoding="utf-8")
    assistant = make(tmp_path / "index")
    assistant.ingest_service.ingest([docs])
    assert status_of(assistant, OLD_NAME)[0] == "in_force"
    assert retrieved_meta(assistant, "上海市实施《中华人民共和国示例防雷法》办法")["status"] == "in_force"

    (docs / NEW_NAME).write_text(NEW, encoding="utf-8")
    report = assistant.ingest_service.ingest([docs])
    assert not report.failed
    assert status_of(assistant, OLD_NAME)[0] == "repealed"
    assert status_of(assistant, NEW_NAME)[0] == "in_force"
    meta = retrieved_meta(assistant, "上海市实施《中华人民共和国示例防雷法》办法")
    assert meta["status"] == "repealed"
    assert (meta["repealed_by"], meta["repealed_by_article"], meta["repealed_by_date"]) == (
        "上海市示例防雷条例",
        "第三条",
        "2025-03-01",
    )
    assert (meta["effective_date"], meta["version_date"]) == ("2010-07-01", "2018-11-22")
    hits = SearchService(assistant.retriever).search(QUESTION, k=10).to_json()["results"]
    old_hit = next(h for h in hits if h["file"] == OLD_NAME)
    assert old_hit["status"] == "repealed"
    assert old_hit["repealed_by"] == {
        "title": "上海市示例防雷条例",
        "article": "第三条",
        "date": "2025-03-01",
    }
    assert next(h for h in hits if h["file"] == NEW_NAME)["status"] == "in_force"
    # stats and the library table show status and dates
    from assistant.cli.stats_cmd import collect_stats
    from assistant.web.library import DOC_COLUMNS, document_rows

    listed = {row["file"]: row for row in collect_stats(tmp_path / "index")["document_list"]}
    assert listed[OLD_NAME]["status"] == "repealed" and listed[OLD_NAME]["effective_date"] == "2010-07-01"
    assert listed[NEW_NAME]["status_label"] == "现行有效"
    rows = document_rows(SimpleNamespace(assistant=assistant, doc_types={}, places=None))  # type: ignore[arg-type]
    table = {row[DOC_COLUMNS.index("文件")]: row for row in rows}
    assert table[OLD_NAME][DOC_COLUMNS.index("状态")] == "已废止（《上海市示例防雷条例》第三条，2025-03-01）"
    assert table[OLD_NAME][DOC_COLUMNS.index("施行日期")] == "2010-07-01"
    assert table[NEW_NAME][DOC_COLUMNS.index("版本日期")] == "2024-12-20"

    (docs / NEW_NAME).unlink()
    assistant.ingest_service.ingest([docs], prune=True)
    assert status_of(assistant, OLD_NAME)[0] == "in_force"
    meta = retrieved_meta(assistant, "上海市实施《中华人民共和国示例防雷法》办法")
    assert (meta["status"], meta["repealed_by"]) == ("in_force", "")


@pytest.mark.slow
def test_versions_unindexed_repeals_bad_status_and_an_upgraded_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "上海市示例条例(2015-01-01).md").write_text(
        "# 上海市示例条例\n\n第一条 甲。\n\n第二条 旧规定每季度巡查一次。\n\n"
        "第三条 本条例自2015年3月1日起施行。\n",
        encoding="utf-8",
    )
    (docs / "上海市示例条例(2021-06-01).md").write_text(
        "# 上海市示例条例\n\n第一条 甲。\n\n第二条 新规定每月巡查一次。\n\n"
        "第三条 本条例自2021年9月1日起施行。\n",
        encoding="utf-8",
    )
    (docs / NEW_NAME).write_text(NEW, encoding="utf-8")  # repeals a document that is not indexed
    (docs / "坏状态.md").write_text("---\nstatus: 作废了\n---\n# 某规定\n\n第一条 甲。\n", encoding="utf-8")
    assistant = make(tmp_path / "index")
    report = assistant.ingest_service.ingest([docs])
    failed = {Path(f.file).name: f.reason for f in report.failed}
    assert list(failed) == ["坏状态.md"]
    assert "status" in failed["坏状态.md"] and "作废了" in failed["坏状态.md"]
    assert status_of(assistant, NEW_NAME)[0] == "in_force"
    assert status_of(assistant, "上海市示例条例(2021-06-01).md")[0] == "in_force"
    older, detail = status_of(assistant, "上海市示例条例(2015-01-01).md")
    assert older == "repealed" and '"superseded_by": {"article": "", "date": "2021-09-01"' in detail

    # an index written before validity facts existed: rows lose their facts and statuses …
    with sqlite3.connect(assistant.manifest.path) as conn:
        conn.execute(
            "UPDATE documents SET facts = '', effective_date = '', status = 'unknown', status_detail = '{}'"
        )
    before = assistant.manifest.generation()
    again = make(tmp_path / "index")
    report = again.ingest_service.ingest([docs])
    assert {f.status for f in report.files if not f.file.endswith("坏状态.md")} == {"unchanged"}
    # … and the next ingest parses them again from the files, without re-embedding anything
    assert report.embedded_chunks == 0
    assert status_of(again, "上海市示例条例(2015-01-01).md")[0] == "repealed"
    entry = next(e for p, e in again.manifest.entries().items() if Path(p).name == NEW_NAME)
    assert entry.effective_date == "2025-03-01" and entry.facts
    assert again.manifest.generation() == before + 1
    # deleting the newer version (as the web library does) makes the older one current again
    assert again.ingest_service.remove(str(docs / "上海市示例条例(2021-06-01).md"))
    assert status_of(again, "上海市示例条例(2015-01-01).md") == (
        "in_force",
        '{"amended_by": null, "effective_date": "2015-03-01", "repealed_by": null, "status": "in_force",'
        ' "superseded_by": null, "version_date": "2015-01-01"}',
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    docs = tmp_path_factory.mktemp("docs")
    (docs / OLD_NAME).write_text(OLD, encoding="utf-8")
    (docs / NEW_NAME).write_text(NEW, encoding="utf-8")
    assistant = make(tmp_path_factory.mktemp("index"))
    assistant.ingest_service.ingest([docs])
    return assistant


def _article(assistant: Assistant, title: str, article: str) -> ScoredChunk:
    lex = assistant.retriever.lexical
    chunk = next(c for c in lex.chunks if c.title == title and c.metadata.get("article") == article)
    return ScoredChunk(chunk, 1.0)


@pytest.mark.slow
def test_a_cited_repealed_article_is_flagged_and_paired_with_the_current_one(both: Assistant) -> None:
    old = _article(both, "上海市实施《中华人民共和国示例防雷法》办法", "第二条")
    new = _article(both, "上海市示例防雷条例", "第二条")
    other = _article(both, "上海市示例防雷条例", "第一条")
    service = both.answer_service
    lex = both.retriever.lexical
    plan = make_plan(QUESTION, "staff", "deadline", [old, new, other], lex, ())
    assert [i.chunk.id for i in plan.evidence][:2] == [old.chunk.id, new.chunk.id]
    assert plan.current_for == {0: 1}
    composition = service.composer.compose(
        QUESTION, "staff", plan.evidence, [], lambda c: c.text, lex, plan=plan
    )
    first = composition.text.splitlines()[0]
    assert first == (
        "注意：[1] 该规定已于2025年3月1日被《上海市示例防雷条例》废止（《上海市示例防雷条例》第三条），"
        "不再现行有效。现行有效的相关规定可参见《上海市示例防雷条例》第二条 [2]。"
    )
    cited = [c.to_json() for c in composition.citations]
    assert cited[0]["status"] == "repealed" and cited[0]["effective_date"] == "2010-07-01"
    assert cited[0]["repealed_by"] == {
        "title": "上海市示例防雷条例",
        "article": "第三条",
        "date": "2025-03-01",
    }
    assert cited[1]["status"] == "in_force" and cited[1]["repealed_by"] is None

    # no current passage retrieved: the answer says so instead of pointing nowhere
    alone = make_plan(QUESTION, "resident", "deadline", [old], lex, ())
    text = service.composer.compose(
        QUESTION, "resident", alone.evidence, [], lambda c: c.text, lex, plan=alone
    ).text
    assert "被《上海市示例防雷条例》废止" in text and "未找到对应的现行条文" in text

    # the same notice for an answer written elsewhere (the LLM path), from its citations alone
    notices = repeal_notices(composition.citations, service.composer.templates)
    assert notices == [first]
    assert repeal_notices(composition.citations[1:], service.composer.templates) == []


@pytest.mark.slow
def test_the_answer_never_presents_the_repealed_rule_as_current(both: Assistant) -> None:
    result = both.answer_service.ask(QUESTION, audience="staff")
    body = result.answer
    leads_current = result.citations[0].source == "上海市示例防雷条例"
    assert leads_current or ("废止" in body.splitlines()[0] and "可参见《上海市示例防雷条例》" in body)


@pytest.mark.shared
@pytest.mark.slow
def test_shared_lightning_question_answers_from_the_current_regulation(
    shared_regulations: Path, tmp_path: Path
) -> None:
    banfa = shared_regulations / "上海市实施《气象法》办法(2018-11-22).md"
    tiaoli = shared_regulations / "上海市气象条例(2024-09-27).md"
    assistant = make(tmp_path / "index")
    assistant.ingest_service.ingest([banfa, tiaoli])  # indexed in place, not copied
    assert status_of(assistant, banfa.name)[0] == "repealed"
    assert status_of(assistant, tiaoli.name)[0] == "in_force"
    result = assistant.answer_service.ask("避雷装置要多久检测一次？", audience="staff")
    lines = result.answer.splitlines()
    leads_current = result.citations[0].source == "上海市气象条例"
    says_repealed = (
        "该规定已于2024年11月1日被《上海市气象条例》废止（《上海市气象条例》第四十一条）" in lines[0]
    )
    assert leads_current or (says_repealed and "可参见《上海市气象条例》" in lines[0]), result.answer
