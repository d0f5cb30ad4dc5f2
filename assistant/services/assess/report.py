"""The Markdown report of an assessment: what a department files and acts on.

It shows how the numbers arise (the rules, a table per dimension) and, for each weak
point, why it matters (the basis), what to do (the advice) and the passages cited, so a
reader can check every statement against its source.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.services.assess.compare import Comparison
from assistant.services.assess.scoring import AssessmentResult

SCORING_RULES = (
    "条目得分率 = 所选选项分 ÷ 该条目最高选项分；维度得分 = 100 × Σ(条目权重 × 得分率) ÷ Σ条目权重"
    "（“不适用”的条目不计入）；总分 = Σ(维度权重 × 维度得分) ÷ Σ维度权重（全部不适用的维度不计入）。"
    "等级取不高于总分的最高门槛；任一关键条目得分率为 0 时，等级最高为封顶等级；"
    "门槛条件回答“否”时，等级最高为该条件规定的等级（门槛条件不影响总分）。"
    "可提升分值 = 该条目完全达标时总分的增加量。"
)


def local_time(stamp: str | None, timezone: str) -> str:
    """An ISO time stamp shown in the configured zone (``2026-12-02 20:15``); "—" when absent."""
    if not stamp:
        return "—"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:  # stored before time zones were recorded: shown as written
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def fmt(value: float | None, digits: int = 2) -> str:
    """A number rounded for display; "—" for null (not applicable)."""
    return "—" if value is None else f"{value:.{digits}f}"


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def render_markdown(
    result: AssessmentResult,
    comparison: Comparison | None = None,
    chart_file: str | None = None,
    timezone: str = "Asia/Shanghai",
    rubrics: dict[tuple[str, str], str] | None = None,
) -> str:
    """The report; ``chart_file`` may be a file name or a ``data:`` URI (self-contained)."""
    rubrics = rubrics or {}
    item_text = {item.item: item.text for item in result.items}
    lines = [f"# {result.title}：自评报告", ""]
    lines += [
        f"- 单位：{result.org or '（未填写）'}",
        f"- 清单：`{result.checklist}`（第 {result.version} 版）",
        f"- 评估时间：{local_time(result.assessed_at, timezone)}",
        f"- **总分：{fmt(result.total)}**　**等级：{result.level or '—'}**",
    ]
    if result.critical_failed:
        names = "、".join(item_text.get(i, i) for i in result.critical_failed)
        lines.append(f"- ⚠ 关键条目未达标：{names}（等级最高只能评为封顶等级）")
    lines.append("")
    if result.gates:
        lines += ["## 门槛条件", "", "| 条件 | 结果 | 未通过时最高等级 |", "| --- | --- | --- |"]
        lines += [
            f"| {_cell(g.text)} | {'通过' if g.passed else '**未通过**'} | {_cell(g.cap)} |"
            for g in result.gates
        ]
        if result.level != result.level_before_gates:
            lines += [
                "",
                f"按得分应为“{result.level_before_gates}”，因门槛条件未通过，等级为“{result.level}”。",
            ]
        lines.append("")
    if chart_file:
        lines += [f"![各维度得分雷达图]({chart_file})", ""]

    lines += ["## 各维度得分", "", "| 维度 | 权重 | 得分 |", "| --- | ---: | ---: |"]
    lines += [f"| {_cell(d.title)} | {d.weight:g} | {fmt(d.score)} |" for d in result.dimensions]
    lines.append("")

    if comparison is not None:
        lines += [f"## 与上次评估（{local_time(comparison.previous_assessed_at, timezone)}）相比", ""]
        if not comparison.same_version:
            lines += [f"> 上次使用第 {comparison.previous_version} 版清单，条目可能不同，变化仅供参考。", ""]
        lines += [
            f"总分 {fmt(comparison.total_before)} → {fmt(comparison.total_after)}"
            f"（{_signed(comparison.total_change)}），等级 {comparison.level_before or '—'} → "
            f"{comparison.level_after or '—'}。",
            "",
            "| 维度 | 上次 | 本次 | 变化 |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {_cell(d.title)} | {fmt(d.before)} | {fmt(d.after)} | {_signed(d.change)} |"
            for d in comparison.dimensions
        ]
        lines.append("")

    lines += ["## 逐项得分", ""]
    for dim in result.dimensions:
        lines += [
            f"### {dim.title}（得分 {fmt(dim.score)}）",
            "",
            "| 条目 | 回答 | 得分率 | 权重 |",
            "| --- | --- | ---: | ---: |",
        ]
        for item in (i for i in result.items if i.dimension == dim.id):
            mark = "（关键）" if item.critical else ""
            ratio = "不适用" if item.ratio is None else f"{item.ratio * 100:.0f}%"
            rubric = rubrics.get((item.item, item.answer), "")
            answer = f"{item.answer}（{rubric}）" if rubric else item.answer
            lines.append(f"| {_cell(item.text)}{mark} | {_cell(answer)} | {ratio} | {item.weight:g} |")
        lines.append("")

    lines += ["## 薄弱环节（按可提升分值排序）", ""]
    if not result.weak_points:
        lines += ["没有得分率低于阈值的条目。", ""]
    for rank, weak in enumerate(result.weak_points, 1):
        lines += [
            f"### {rank}. {weak.text}",
            "",
            f"- 得分率 {weak.ratio * 100:.0f}%；补齐后总分可提高 {fmt(weak.gain)} 分",
            f"- 依据：{weak.basis or '未注明依据'}",
            f"- 建议：{weak.advice or '（清单未给出建议）'}",
        ]
        if weak.evidence:
            lines.append("- 相关条文：")
            for cite in weak.evidence:
                where = " ".join(str(part) for part in (cite.get("source"), cite.get("locator")) if part)
                text = " ".join(str(cite.get("text", "")).split())
                lines.append(f"  - [{cite.get('n')}] {where}：{text}")
        lines.append("")

    if result.item_evidence:
        lines += ["## 证据说明", "", "| 条目 | 说明 | 附件 |", "| --- | --- | --- |"]
        for item_id, evidence in result.item_evidence.items():
            names = "；".join(str(n) for n in evidence.get("attachments", []))
            note = _cell(str(evidence.get("note", "")))
            lines.append(f"| {_cell(item_text.get(item_id, item_id))} | {note} | {_cell(names)} |")
        lines.append("")
    lines += ["## 计分方法", "", SCORING_RULES, ""]
    return "\n".join(lines)
