"""The Word report a department hands in: one self-contained .docx with the chart inside.

Why Word: reports are filed as documents, reviewed and annotated there; a Markdown file
whose chart sits beside it arrives broken. The document holds a title page (organisation,
checklist, version, date in local time), the total and level, the gate results, the
dimension table, the radar chart (embedded as an image part), every weak point with its
gain, basis, advice and cited passages, and the evidence notes — items named by their text.
"""

from __future__ import annotations

from pathlib import Path

from assistant.services.assess.compare import Comparison
from assistant.services.assess.model import Checklist
from assistant.services.assess.report import SCORING_RULES, fmt, local_time
from assistant.services.assess.scoring import AssessmentResult


def render_docx(
    result: AssessmentResult,
    checklist: Checklist,
    chart_png: Path | None,
    path: Path,
    timezone: str,
    comparison: Comparison | None = None,
) -> Path:
    """Write the report to ``path`` and return it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)  # type: ignore[attr-defined]
    item_text = {item.id: item.text for _, item in checklist.items()}

    for _ in range(6):
        doc.add_paragraph()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{result.title}\n自评报告")
    run.bold = True
    run.font.size = Pt(26)
    for line in (
        f"单位：{result.org or '（未填写）'}",
        f"清单：{result.title}（{result.checklist}，第 {result.version} 版）",
        f"评估时间：{local_time(result.assessed_at, timezone)}",
    ):
        para = doc.add_paragraph(line)
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    doc.add_heading("总分与等级", level=1)
    para = doc.add_paragraph()
    para.add_run(f"总分 {fmt(result.total)}　等级 {result.level or '—'}").bold = True
    if result.critical_failed:
        names = "、".join(item_text.get(i, i) for i in result.critical_failed)
        doc.add_paragraph(f"关键条目未达标（等级最高为“{checklist.critical_cap}”）：{names}")
    if comparison is not None:
        change = "—" if comparison.total_change is None else f"{comparison.total_change:+.2f}"
        doc.add_paragraph(
            f"与上次评估（{local_time(comparison.previous_assessed_at, timezone)}）相比：总分 {change}"
        )

    if result.gates:
        doc.add_heading("门槛条件", level=1)
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("条件", "结果", "未通过时最高等级"), strict=True):
            cell.text = text
        for gate in result.gates:
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = (
                gate.text,
                "通过" if gate.passed else "未通过",
                gate.cap,
            )
        if result.level != result.level_before_gates:
            doc.add_paragraph(
                f"按得分应为“{result.level_before_gates}”，因门槛条件未通过，等级为“{result.level}”。"
            )

    doc.add_heading("各维度得分", level=1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("维度", "权重", "得分"), strict=True):
        cell.text = text
    for dim in result.dimensions:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = dim.title, f"{dim.weight:g}", fmt(dim.score)
    if chart_png is not None and chart_png.is_file():
        doc.add_paragraph()
        doc.add_picture(str(chart_png), width=Cm(13))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading("薄弱环节（按可提升分值排序）", level=1)
    if not result.weak_points:
        doc.add_paragraph("没有得分率低于阈值的条目。")
    items = {item.id: item for _, item in checklist.items()}
    for rank, weak in enumerate(result.weak_points, 1):
        doc.add_heading(f"{rank}. {weak.text}", level=2)
        answer = result.answers.get(weak.item, "")
        rubric = items[weak.item].rubric_of(answer) if weak.item in items else ""
        doc.add_paragraph(
            f"回答：{answer}" + (f"（{rubric}）" if rubric else "") + f"；得分率 {weak.ratio * 100:.0f}%；"
            f"补齐后总分可提高 {fmt(weak.gain)} 分"
        )
        doc.add_paragraph(f"依据：{weak.basis or '未注明依据'}")
        doc.add_paragraph(f"建议：{weak.advice or '（清单未给出建议）'}")
        for cite in weak.evidence:
            where = " ".join(str(part) for part in (cite.get("source"), cite.get("locator")) if part)
            text = " ".join(str(cite.get("text", "")).split())
            doc.add_paragraph(f"[{cite.get('n')}] {where}：{text}", style="List Bullet")

    if result.item_evidence:
        doc.add_heading("证据说明", level=1)
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("条目", "说明", "附件"), strict=True):
            cell.text = text
        for item_id, evidence in result.item_evidence.items():
            cells = table.add_row().cells
            cells[0].text = item_text.get(item_id, item_id)
            cells[1].text = str(evidence.get("note", ""))
            cells[2].text = "；".join(evidence.get("attachments", []))

    doc.add_heading("计分方法", level=1)
    doc.add_paragraph(SCORING_RULES)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
