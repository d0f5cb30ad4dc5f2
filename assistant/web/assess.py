"""自评 tab: a form per bundled checklist, generated from its YAML, and the scored result.

Forms for all checklists are built once at start (one ``gr.Column`` each, shown by the
selector), so every control exists before the page loads and each submit button is bound
to its own checklist. Scoring, history, the report and the chart all come from
:class:`AssessmentService`; this module renders them.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.cli.assess_cmd import round_numbers
from assistant.web import present
from assistant.web.context import WebContext

logger = logging.getLogger(__name__)

NA_LABEL = "不适用"
HISTORY_COLUMNS = ["编号", "自评时间", "清单版本", "总分", "等级", "较上次"]


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def summary_html(result: Any, comparison: Any, checklist: Any) -> str:
    """Total, level, change since last time, critical failures and the dimension table."""
    item_text = {item.id: item.text for _, item in checklist.items()}
    head = (
        '<div class="assess-total">'
        f'<span class="score">总分 <b id="assess-score">{_fmt(result.total)}</b></span>'
        f'<span class="level">等级 <b id="assess-level">{present.escape_text(result.level or "—")}</b></span>'
    )
    if comparison is not None:
        note = "" if comparison.same_version else "（清单版本不同，仅供参考）"
        when = present.escape_text(local_time(comparison.previous_assessed_at))
        head += (
            f'<span class="change">较上次（{when}）'
            f"<b>{_fmt(comparison.total_change, sign=True)}</b>{note}</span>"
        )
    parts = [head + "</div>"]
    if result.critical_failed:
        names = "、".join(present.escape_text(item_text.get(i, i)) for i in result.critical_failed)
        parts.append(
            f'<div class="error-box">关键条目未达标，等级最高为'
            f"“{present.escape_text(checklist.critical_cap)}”：{names}</div>"
        )
    if result.gates:
        gates = "".join(
            f'<li class="{"gate-pass" if g.passed else "gate-fail"}">{"✓ 满足" if g.passed else "✗ 未满足"}：'
            f"{present.escape_text(g.text)}"
            + ("" if g.passed else f"（等级最高为“{present.escape_text(g.cap)}”）")
            + "</li>"
            for g in result.gates
        )
        before = (
            f"；未计门槛时为“{present.escape_text(result.level_before_gates)}”"
            if result.level_before_gates and result.level_before_gates != result.level
            else ""
        )
        parts.append(f'<div class="gates" id="assess-gates">门槛条件{before}<ul>{gates}</ul></div>')
    changes = {d.id: d.change for d in comparison.dimensions} if comparison is not None else {}
    rows = "".join(
        f"<tr><td>{present.escape_text(d.title)}</td><td>{d.weight:g}</td><td>{_fmt(d.score)}</td>"
        f"<td>{_fmt(changes.get(d.id), sign=True) if changes else '—'}</td></tr>"
        for d in result.dimensions
    )
    parts.append(
        '<table class="dims"><thead><tr><th>维度</th><th>权重</th><th>得分</th><th>变化</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    return f'<div class="assess-result">{"".join(parts)}</div>'


def weak_points_html(result: Any) -> str:
    """Weak points by gain, each with advice, basis and the cited passages folded away."""
    if not result.weak_points:
        return '<p class="ok">没有得分率低于阈值的条目。</p>'
    items = []
    for weak in result.weak_points:
        evidence = "".join(
            '<div class="src"><div class="src-head">'
            f'<span class="src-title">《{present.escape_text(str(c.get("source", "")))}》</span> '
            f'<span class="src-loc">{present.escape_text(str(c.get("locator", "")))}</span></div>'
            f'<div class="src-passage">{present.escape_text(str(c.get("text", "")))}</div></div>'
            for c in weak.evidence
        )
        summary = f"<summary>查看依据条文（{len(weak.evidence)} 段）</summary>"
        folded = f'<details class="src-more">{summary}{evidence}</details>' if evidence else ""
        items.append(
            '<li class="weak">'
            f'<div><span class="gain">+{weak.gain:.2f} 分</span> {present.escape_text(weak.text)}</div>'
            f'<div class="advice">建议：{present.escape_text(weak.advice)}</div>'
            f'<div class="basis">依据：{present.escape_text(weak.basis)}</div>{folded}</li>'
        )
    return (
        '<div class="weak-h">薄弱环节（按补齐后可提升的分值排序）</div>'
        f'<ol class="weak-list">{"".join(items)}</ol>'
    )


def local_time(stamp: str) -> str:
    """'2026-12-03T13:44:35+08:00' → '2026-12-03 13:44' (already in the configured time zone)."""
    return stamp[:16].replace("T", " ") if len(stamp) >= 16 and stamp[10:11] == "T" else stamp


def history_rows(ctx: WebContext, org: str, checklist_id: str) -> list[list[Any]]:
    """This organisation's assessments of one checklist, newest first, with the change each time."""
    entries = ctx.assistant.assessor.history(org=org, checklist=checklist_id)
    rows: list[list[Any]] = []
    previous: float | None = None
    for entry in entries:
        change = entry.total - previous if entry.total is not None and previous is not None else None
        rows.append(
            [
                entry.id,
                local_time(entry.assessed_at),
                entry.version,
                _fmt(entry.total),
                entry.level or "—",
                _fmt(change, True),
            ]
        )
        previous = entry.total
    return list(reversed(rows))


def _report_files(ctx: WebContext, result: Any) -> tuple[list[str], str | None]:
    """Write the Word and Markdown reports (chart embedded in both) and the JSON of ``assess --json``."""
    # The system temp folder: Gradio copies returned files into its cache only from there or the
    # working directory, and the project folder itself is blocked from serving.
    folder = Path(tempfile.mkdtemp(prefix=f"assess-{result.assessment_id}-"))
    md_path, chart = ctx.assistant.assessor.write_report(result, folder / f"{result.checklist}-自评报告.md")
    docx_path, _ = ctx.assistant.assessor.write_report(result, folder / f"{result.checklist}-自评报告.docx")
    json_path = folder / f"{result.checklist}-自评结果.json"
    json_path.write_text(
        json.dumps(round_numbers(result.to_dict()), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    files = [str(docx_path), str(md_path), str(json_path)]
    return files, str(chart.path) if Path(chart.path).is_file() else None


def item_info(item: Any) -> str:
    """The line under an item: its basis, then what each option level means (when given)."""
    parts = [f"依据：{item.basis}"] if item.basis else []
    if item.has_rubric:
        parts.append("评分说明：" + "；".join(f"{o.label}＝{o.rubric}" for o in item.options if o.rubric))
    return " ｜ ".join(parts)


def _outcome(ctx: WebContext, checklist_id: str, org: str, answers: dict[str, Any]) -> tuple[Any, ...]:
    """Score complete answers: summary, chart, weak points, report files, history, trend."""
    service = ctx.assistant.assessor
    checklist = service.checklist(checklist_id)
    result = service.assess(checklist_id, answers, org=org)
    comparison = service.compare_with_previous(result)
    files, chart = _report_files(ctx, result)
    trend = None
    if org and len(service.history(org=org, checklist=checklist_id)) >= 2:
        folder = Path(tempfile.mkdtemp(prefix="assess-trend-"))
        trend = str(service.write_trend_chart(org, checklist_id, folder / f"{checklist_id}-趋势.png"))
    return (
        summary_html(result, comparison, checklist),
        chart,
        weak_points_html(result),
        files,
        gr.Dataframe(value=history_rows(ctx, org, checklist_id)),
        gr.Image(value=trend, visible=trend is not None),
    )


def _failed(message: str) -> tuple[Any, ...]:
    return present.error_html(message), None, "", None, gr.Dataframe(), gr.Image(visible=False)


def submit(ctx: WebContext, checklist_id: str, org: str, values: list[Any]) -> tuple[Any, ...]:
    """Score one filled form (gates first, then items); unanswered ones are marked, not guessed.

    Returns the six result outputs followed by one update per gate and item control, which
    marks the unanswered ones (``missing`` class) so a long form shows where to look.
    """
    from assistant.services.assess import AnswerError, ChecklistError, HistoryError

    org = (org or "").strip()[:100]
    try:
        checklist = ctx.assistant.assessor.checklist(checklist_id)
    except (ChecklistError, ValueError) as exc:
        return (*_failed(str(exc)), *[gr.Radio() for _ in values])
    questions = [(g.id, g.text) for g in checklist.gates] + [(i.id, i.text) for _, i in checklist.items()]
    answers = {qid: value for (qid, _), value in zip(questions, values, strict=True) if value}
    marks = [gr.Radio(elem_classes=[] if qid in answers else ["missing"]) for qid, _ in questions]
    missing = [text for qid, text in questions if qid not in answers]
    if missing:
        listed = "；".join(missing[:5]) + ("……" if len(missing) > 5 else "")
        return (*_failed(f"还有 {len(missing)} 项未作答（已在表中标出）：{listed}"), *marks)
    try:
        outputs = _outcome(ctx, checklist_id, org, answers)
    except (AnswerError, ChecklistError, HistoryError, ValueError) as exc:
        return (*_failed(str(exc)), *marks)
    return (*outputs, *marks)


def submit_workbook(ctx: WebContext, checklist_id: str, org: str, upload: Any) -> tuple[Any, ...]:
    """Score a filled ``.xlsx`` answer sheet (answers with evidence notes and attachment names)."""
    from assistant.services.assess import AnswerError, ChecklistError, HistoryError
    from assistant.services.assess.xlsx_io import XlsxError

    org = (org or "").strip()[:100]
    if not upload:
        return _failed("请先选择已填写的答题表（.xlsx）。")
    path = Path(upload if isinstance(upload, str) else getattr(upload, "name", ""))
    if path.suffix.lower() != ".xlsx":
        return _failed(f"{path.name}：只接受 .xlsx 答题表（请用“下载空白答题表”生成的模板填写）。")
    try:
        answers = ctx.assistant.assessor.load_answers(path, checklist_id)
        return _outcome(ctx, checklist_id, org, answers)
    except XlsxError as exc:
        return _failed(
            "答题表有问题：" + "；".join(exc.problems[:10]) + ("……" if len(exc.problems) > 10 else "")
        )
    except (AnswerError, ChecklistError, HistoryError, ValueError) as exc:
        return _failed(str(exc))


def answer_template(ctx: WebContext, checklist_id: str) -> str:
    """A blank answer workbook for one checklist (drop-down answers, evidence columns)."""
    folder = Path(tempfile.mkdtemp(prefix="assess-template-"))
    path = folder / f"{checklist_id}-答题表.xlsx"
    return str(ctx.assistant.assessor.export_answers_template(checklist_id, path))


def excel_hint_html(may_upload: bool) -> str:
    how = (
        "填好后在下方上传评分。"
        if may_upload
        else "上传答题表需要管理员登录；也可用命令行评分：<code>python -m assistant assess 清单id "
        "答题表.xlsx --org 单位 --report 报告.docx</code>。"
    )
    return (
        '<p class="checklist-desc">下载所选清单的空白答题表，在“答案”列下拉选择，按需填写证据说明和'
        f"附件文件名（只记文件名，不上传附件本身）。{how}</p>"
    )


def build(ctx: WebContext, demo: gr.Blocks) -> None:
    """The 自评 tab."""
    service = ctx.assistant.assessor
    checklists = list(service.checklists().values())
    with gr.Tab("自评", id="assess"):
        if not checklists:
            gr.HTML(present.error_html("没有可用的自评清单（corpus/checklists/）。"))
            return
        choices = [
            (f"{c.title}（{ctx.audiences.get(c.audience, c.audience)}，{c.item_count()} 项）", c.id)
            for c in checklists
        ]
        with gr.Row():
            selector = gr.Dropdown(
                choices=choices, value=checklists[0].id, label="自评清单", elem_id="checklist", scale=3
            )
            org = gr.Textbox(
                label="单位名称（用于历史对比）",
                placeholder="例如：某某街道某某居委会",
                elem_id="org",
                scale=2,
            )
        columns = []
        for checklist in checklists:
            with gr.Column(visible=checklist is checklists[0], elem_id=f"form-{checklist.id}") as column:
                if checklist.description:
                    gr.HTML(f'<p class="checklist-desc">{present.escape_text(checklist.description)}</p>')
                radios = []
                if checklist.gates:
                    with gr.Accordion("门槛条件（任一未满足，等级封顶）", open=True):
                        for gate in checklist.gates:
                            basis = f"；依据：{gate.basis}" if gate.basis else ""
                            radios.append(
                                gr.Radio(
                                    choices=[("是", "是"), ("否", "否")],
                                    label=f"【门槛】{gate.text}",
                                    info=f"未满足时等级最高为“{gate.cap}”{basis}",
                                    elem_id=f"gate-{gate.id}",
                                )
                            )
                for dim in checklist.dimensions:
                    with gr.Accordion(f"{dim.title}（权重 {dim.weight:g}）", open=True):
                        for item in dim.items:
                            options = [(o.label, o.label) for o in item.options]
                            if item.allow_na:
                                options.append((NA_LABEL, "N/A"))
                            mark = "【关键项】" if item.critical else ""
                            radios.append(
                                gr.Radio(
                                    choices=options,
                                    label=f"{mark}{item.text}",
                                    info=item_info(item),
                                    elem_id=f"item-{item.id}",
                                )
                            )
                button = gr.Button("提交自评", variant="primary", elem_id=f"submit-{checklist.id}")
            columns.append((checklist.id, column, button, radios))

        with gr.Row():
            result = gr.HTML(elem_id="assess-result")
            chart = gr.Image(label="雷达图", type="filepath", elem_id="radar", interactive=False, height=380)
        weak = gr.HTML(elem_id="assess-weak")
        trend = gr.Image(
            label="本单位历次自评趋势",
            type="filepath",
            elem_id="assess-trend",
            interactive=False,
            visible=False,
        )
        with gr.Row():
            files = gr.File(
                label="下载报告（Word / Markdown / JSON）",
                file_count="multiple",
                elem_id="report-files",
                interactive=False,
                scale=1,
            )
            history = gr.Dataframe(
                headers=HISTORY_COLUMNS,
                label="本单位的自评历史（最新在前）",
                elem_id="assess-history",
                interactive=False,
                scale=2,
            )

        with gr.Accordion(
            "用 Excel 填写（可逐项附证据说明和附件文件名）", open=False, elem_id="assess-excel"
        ):
            excel_hint = gr.HTML(excel_hint_html(False), elem_id="assess-excel-hint")
            with gr.Row():
                template_button = gr.Button("下载空白答题表", elem_id="assess-template-button")
                template = gr.File(label="空白答题表", elem_id="assess-template", interactive=False)
            outputs = [result, chart, weak, files, history, trend]
            # Uploads go through Gradio's upload route, which only library admins may use.
            with gr.Group(visible=False, elem_id="assess-upload-group") as upload_group:
                workbook = gr.File(
                    label="已填写的答题表（.xlsx）", file_types=[".xlsx"], elem_id="assess-upload"
                )
                workbook_button = gr.Button(
                    "上传答题表并评分", variant="primary", elem_id="assess-upload-button"
                )

            def on_workbook(org_name: str, selected: str, upload: Any) -> tuple[Any, ...]:
                return submit_workbook(ctx, selected, org_name, upload)

            workbook_button.click(on_workbook, [org, selector, workbook], outputs, api_visibility="private")

        def on_load(request: gr.Request) -> tuple[Any, ...]:
            may_upload = ctx.policy.is_admin(request)
            return excel_hint_html(may_upload), gr.Group(visible=may_upload)

        demo.load(on_load, None, [excel_hint, upload_group], api_visibility="private")
        template_button.click(
            lambda selected: answer_template(ctx, selected), selector, template, api_visibility="private"
        )

        for checklist_id, _column, button, radios in columns:

            def on_submit(org_name: str, *values: Any, _id: str = checklist_id) -> tuple[Any, ...]:
                return submit(ctx, _id, org_name, list(values))

            button.click(on_submit, [org, *radios], [*outputs, *radios], api_visibility="private")

        def show(selected: str) -> list[Any]:
            return [gr.Column(visible=cid == selected) for cid, *_ in columns]

        def past(org_name: str, selected: str) -> Any:
            return gr.Dataframe(value=history_rows(ctx, (org_name or "").strip()[:100], selected))

        selector.change(
            show, selector, [column for _, column, _, _ in columns], api_visibility="private", queue=False
        )
        gr.on(
            [org.blur, org.submit, selector.change], past, [org, selector], history, api_visibility="private"
        )
