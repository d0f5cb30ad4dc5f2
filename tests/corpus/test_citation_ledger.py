"""Every article citation in the resident-facing pack was reviewed against its article.

``corpus/citations.lock.yaml`` records, per (card, claim, cited article), the hash of the
claim and of the article and a ``supported`` verdict. The pack test (needs ../shared for the
article texts) fails when a cited claim in guides/ or checklists/ has no entry, when the claim
or the article changed since it was reviewed, or when an entry is not ``supported``. The unit
tests below drive the mechanism on synthetic cards and articles and need nothing shared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.components import citation_ledger as cl

from .conftest import CORPUS_DIR

LEDGER = CORPUS_DIR / cl.LEDGER_FILE


@pytest.mark.shared
def test_every_cited_claim_has_a_current_supported_entry(shared_regulations: Path) -> None:
    pairs = cl.scope_pairs(CORPUS_DIR)
    assert len(pairs) >= 200, f"only {len(pairs)} cited pairs found in guides/ and checklists/"
    problems = cl.pending(pairs, cl.load_ledger(LEDGER), cl.article_texts(shared_regulations))
    lines = [f"{p.pair.card}｜{p.pair.article}｜{p.reason}：{p.pair.excerpt}" for p in problems]
    assert not lines, "run `python -m assistant ledger --pending` and review:\n" + "\n".join(lines)


def test_ledger_entries_are_well_formed() -> None:
    entries = cl.load_ledger(LEDGER)
    assert entries, "corpus/citations.lock.yaml is missing or empty"
    for entry in entries:
        where = f"{entry['card']} {entry['article']}"
        assert entry["verdict"] == cl.SUPPORTED, where
        assert len(entry["claim"]) <= cl.MAX_EXCERPT_CHARS, where
        assert len(entry["claim_sha"]) == len(entry["article_sha"]) == cl.DIGEST_CHARS, where
        assert "\n" not in entry["reason"] and len(entry["reason"]) <= 120, where
    keys = [(e["card"], e["article"], e["claim_sha"]) for e in entries]
    assert len(keys) == len(set(keys)), "duplicate ledger entries"


# --- the mechanism, on synthetic cards and regulations (no ../shared needed) -------------

CARD = """---
title: 测试卡
sources:
  - 《测试条例》第一条
---

# 测试卡

## 测试：先做什么

1. 发现火情立即报警（依据：《测试条例》第一条）；带上应急包（依据：公共安全常识）。
2. 不得堵塞通道（依据：《测试条例》第一条、第二条）。
"""

CHECKLIST = """id: t
dimensions:
  - id: d
    items:
      - id: a
        text: 是否知道立即报警？
        basis: 《测试条例》第一条
        advice: 记住号码。
"""

REGULATION = """# 测试条例
<!-- INFO END -->
第一章 总则
第一条 发现火情的，应当立即报警。
第二条 任何人不得堵塞通道。
第二章 附则
第三条 本条例自公布之日起施行。
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    (tmp_path / "guides").mkdir()
    (tmp_path / "checklists").mkdir()
    (tmp_path / "guides" / "t.md").write_text(CARD, encoding="utf-8")
    (tmp_path / "checklists" / "t.yaml").write_text(CHECKLIST, encoding="utf-8")
    regs = tmp_path / "regs"
    regs.mkdir()
    (regs / "测试条例(2020-01-01).md").write_text(REGULATION, encoding="utf-8")
    return tmp_path


def _accept_all(pack: Path) -> list[dict[str, str]]:
    pairs = cl.scope_pairs(pack)
    reviews = [
        {"card": p.card, "article": p.article, "claim_sha": p.claim_sha, "reason": "条文直接规定"}
        for p in pairs
    ]
    return cl.accept(pack / cl.LEDGER_FILE, pairs, cl.article_texts(pack / "regs"), reviews)


def test_pairs_split_claims_at_each_basis(pack: Path) -> None:
    pairs = cl.scope_pairs(pack)
    assert [(p.card, p.claim, p.article) for p in pairs] == [
        ("checklists/t.yaml", "是否知道立即报警", "《测试条例》第一条"),
        ("guides/t.md", "发现火情立即报警", "《测试条例》第一条"),
        ("guides/t.md", "不得堵塞通道", "《测试条例》第一条"),
        ("guides/t.md", "不得堵塞通道", "《测试条例》第二条"),
    ]  # the advice after its own 公共安全常识 basis and the front matter's sources are not claims


def test_article_text_stops_at_the_next_article_or_chapter(pack: Path) -> None:
    texts = cl.article_texts(pack / "regs")
    assert texts["《测试条例》第一条"] == "第一条发现火情的，应当立即报警"
    assert texts["《测试条例》第二条"] == "第二条任何人不得堵塞通道"  # not "第二章 附则"


def test_unreviewed_pairs_are_pending_until_accepted(pack: Path) -> None:
    pairs, articles = cl.scope_pairs(pack), cl.article_texts(pack / "regs")
    assert {p.reason for p in cl.pending(pairs, [], articles)} == {"尚无核对记录"}
    entries = _accept_all(pack)
    assert len(entries) == 4 and all(e["verdict"] == cl.SUPPORTED for e in entries)
    assert cl.pending(pairs, cl.load_ledger(pack / cl.LEDGER_FILE), articles) == []


def test_a_changed_claim_needs_review_again(pack: Path) -> None:
    _accept_all(pack)
    card = pack / "guides" / "t.md"
    card.write_text(CARD.replace("发现火情立即报警", "发现火情先自己扑救"), encoding="utf-8")
    pending = cl.pending(
        cl.scope_pairs(pack), cl.load_ledger(pack / cl.LEDGER_FILE), cl.article_texts(pack / "regs")
    )
    assert [(p.pair.claim, p.reason) for p in pending] == [
        ("发现火情先自己扑救", "主张文字已改动，需要重新核对")
    ]


def test_reflowing_a_claim_is_not_a_change(pack: Path) -> None:
    _accept_all(pack)
    card = pack / "guides" / "t.md"
    card.write_text(CARD.replace("发现火情立即报警", "**发现火情 立即报警**"), encoding="utf-8")
    assert (
        cl.pending(
            cl.scope_pairs(pack), cl.load_ledger(pack / cl.LEDGER_FILE), cl.article_texts(pack / "regs")
        )
        == []
    )


def test_a_changed_article_needs_review_again(pack: Path) -> None:
    _accept_all(pack)
    reg = pack / "regs" / "测试条例(2020-01-01).md"
    reg.write_text(REGULATION.replace("任何人不得堵塞通道", "任何人不得占用通道"), encoding="utf-8")
    pending = cl.pending(
        cl.scope_pairs(pack), cl.load_ledger(pack / cl.LEDGER_FILE), cl.article_texts(pack / "regs")
    )
    assert [(p.pair.article, p.reason) for p in pending] == [
        ("《测试条例》第二条", "条文文本已变化，需要重新核对")
    ]


def test_an_entry_that_is_not_supported_fails(pack: Path) -> None:
    _accept_all(pack)
    ledger = pack / cl.LEDGER_FILE
    ledger.write_text(
        ledger.read_text(encoding="utf-8").replace("verdict: supported", "verdict: partly", 1),
        encoding="utf-8",
    )
    pending = cl.pending(cl.scope_pairs(pack), cl.load_ledger(ledger), cl.article_texts(pack / "regs"))
    assert len(pending) == 1 and "partly" in pending[0].reason


def test_a_citation_of_a_missing_article_is_pending(pack: Path) -> None:
    card = pack / "guides" / "t.md"
    card.write_text(CARD.replace("第一条、第二条", "第九条"), encoding="utf-8")
    pending = cl.pending(cl.scope_pairs(pack), [], cl.article_texts(pack / "regs"))
    assert "被引条文在法规库中找不到" in {p.reason for p in pending}
    with pytest.raises(cl.LedgerError, match="第九条"):
        cl.make_entry(
            next(p.pair for p in pending if p.pair.article.endswith("第九条")),
            cl.article_texts(pack / "regs"),
            "x",
        )


def test_accept_rejects_a_review_of_nothing_and_an_empty_reason(pack: Path) -> None:
    pairs, articles = cl.scope_pairs(pack), cl.article_texts(pack / "regs")
    ledger = pack / cl.LEDGER_FILE
    with pytest.raises(cl.LedgerError, match="不对应任何现有引用"):
        cl.accept(
            ledger,
            pairs,
            articles,
            [{"card": "guides/t.md", "article": "《测试条例》第一条", "claim_sha": "0" * 16, "reason": "x"}],
        )
    first = pairs[0]
    with pytest.raises(cl.LedgerError, match="理由为空"):
        cl.accept(
            ledger,
            pairs,
            articles,
            [{"card": first.card, "article": first.article, "claim_sha": first.claim_sha, "reason": " "}],
        )


def test_entries_of_pairs_no_longer_cited_are_dropped(pack: Path) -> None:
    _accept_all(pack)
    card = pack / "guides" / "t.md"
    card.write_text(
        CARD.replace("（依据：《测试条例》第一条、第二条）", "（依据：《测试条例》第二条）"), encoding="utf-8"
    )
    entries = cl.accept(pack / cl.LEDGER_FILE, cl.scope_pairs(pack), cl.article_texts(pack / "regs"), [])
    assert len(entries) == 3
    assert ("guides/t.md", "《测试条例》第一条", cl.digest("不得堵塞通道")) not in {
        (e["card"], e["article"], e["claim_sha"]) for e in entries
    }


def test_malformed_ledger_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / cl.LEDGER_FILE
    bad.write_text("entries:\n  - card: guides/t.md\n    verdict: supported\n", encoding="utf-8")
    with pytest.raises(cl.LedgerError, match="第 1 条缺少字段"):
        cl.load_ledger(bad)
    bad.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(cl.LedgerError, match="entries"):
        cl.load_ledger(bad)


def test_cli_lists_pending_then_accepts_a_review_file(
    pack: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import yaml

    from assistant.cli import main

    monkeypatch.setenv("RESILIENCE_CORPUS_DIR", str(pack))
    regs = ["--regulations", str(pack / "regs")]
    assert main(["ledger", "--pending", "--json", *regs]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 4 and {r["reason"] for r in rows} == {"尚无核对记录"}
    reviews = pack / "reviews.yaml"
    reviews.write_text(
        yaml.safe_dump(
            [{**{k: r[k] for k in ("card", "article", "claim_sha")}, "reason": "条文直接规定"} for r in rows]
        ),
        encoding="utf-8",
    )
    assert main(["ledger", "--accept", str(reviews), *regs]) == 0
    assert main(["ledger", "--pending", *regs]) == 0
    assert "待核对 0 条" in capsys.readouterr().err
    assert main(["ledger", "--pending", "--regulations", str(pack / "nope")]) == 2
