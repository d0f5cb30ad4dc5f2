from pathlib import Path

import pytest

from assistant.services.query_analysis import (
    AskKinds,
    article_numbers,
    named_documents,
    place_in_question,
    title_keys,
)

DOCS = [
    ("sh-flood", "上海市防汛条例", "上海"),
    ("cn-flood", "防汛条例", "国家"),
    ("bj-fire", "北京市消防条例", "北京"),
    ("sh-fire", "上海市消防条例", "上海"),
    ("cn-fire", "消防法", "国家"),
]


def test_article_numbers_in_questions() -> None:
    assert article_numbers("《上海市防汛条例》第四十一条讲的啥") == [41]
    assert article_numbers("防汛条例41条") == [41]
    assert article_numbers("台风来了怎么办") == []


def test_place_detection() -> None:
    assert place_in_question("北京的消防条例怎么规定") == "北京"
    assert place_in_question("国家层面有什么规定") == "国家"
    assert place_in_question("小区楼道能停电瓶车吗") is None


def test_title_keys_strip_place() -> None:
    assert {"上海市防汛条例", "防汛条例"} <= title_keys("上海市防汛条例")
    assert "燃气条例" in title_keys("上海市燃气管理条例")


def test_named_documents_prefers_default_jurisdiction_and_exact_titles() -> None:
    # No place named: the Shanghai regulation comes before the national one.
    assert named_documents("防汛条例41条", DOCS, "上海")[0].doc_id == "sh-flood"
    # The national title in 《》 exactly: the national one wins.
    assert named_documents("《防汛条例》第十条", DOCS, "上海")[0].doc_id == "cn-flood"
    # A place named: that jurisdiction wins.
    assert named_documents("北京消防条例第五条", DOCS, "上海")[0].doc_id == "bj-fire"
    assert named_documents("台风天怎么办", DOCS, "上海") == []


def test_abbreviated_titles_are_recognised() -> None:
    docs = [*DOCS, ("sh-aid", "上海市急救医疗服务条例", "上海"), ("sh-gas", "上海市燃气管理条例", "上海")]
    assert named_documents("急救条例42条是什么意思", docs, "上海")[0].doc_id == "sh-aid"
    assert named_documents("燃气条例第十条", docs, "上海")[0].doc_id == "sh-gas"
    # A mention that is not an abbreviation of any title names nothing.
    assert named_documents("交通条例第三条", docs, "上海") == []


def test_ask_kinds_mark_what_no_passage_holds(tmp_path: Path) -> None:
    path = tmp_path / "ask_kinds.yaml"
    path.write_text("live_status: [现在, 恢复了吗]\nopinion: [你怎么看]\n", encoding="utf-8")
    kinds = AskKinds.load(path)
    assert kinds.signals("地铁2号线停运的那几站恢复了吗") == {"ask_live_status": 1.0, "ask_opinion": 0.0}
    assert kinds.signals("台风来了怎么办") == {"ask_live_status": 0.0, "ask_opinion": 0.0}
    assert AskKinds.load(tmp_path / "absent.yaml").signals("现在") == {}


def test_ask_kinds_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ask_kinds.yaml"
    path.write_text("- 现在\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ask_kinds\.yaml"):
        AskKinds.load(path)


def test_bundled_ask_kinds() -> None:
    from assistant.settings import PROJECT_ROOT

    kinds = AskKinds.load(PROJECT_ROOT / "corpus" / "ask_kinds.yaml")
    assert set(kinds.signals("")) == {
        "ask_live_status",
        "ask_count_of_events",
        "ask_named_place_or_contact",
        "ask_opinion",
    }
    assert kinds.signals("截至目前全市一共接到多少起积水报警")["ask_count_of_events"] == 1.0
    assert kinds.signals("长宁区哪家医院可以打狂犬疫苗")["ask_named_place_or_contact"] == 1.0
    # the plain questions the library answers carry none of them
    for question in ("被困在电梯里了怎么办", "燃气公司有哪些法定义务", "台风红色预警时学校要停课吗"):
        assert not any(kinds.signals(question).values()), question
