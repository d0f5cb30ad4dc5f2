"""``assess``, ``checklists`` and ``history``: the self-assessment sub-commands.

The handlers parse input, call :attr:`Assistant.assessor` and present; numbers are rounded
to two decimals only here, when printed. Bad input (unknown checklist, malformed answers
file, answers that do not fit the checklist) exits with status 2 and names the problem.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json

INPUT_ERROR = 2


def round_numbers(value: Any, digits: int = 2) -> Any:
    """Round every float in a JSON-like structure (presentation only)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: round_numbers(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [round_numbers(item, digits) for item in value]
    return value


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def add_parser(subparsers: Any) -> None:
    assess = subparsers.add_parser(
        "assess",
        help="按自评清单计分，找出薄弱环节并保存到历史记录",
        description=(
            "用清单（内置清单 id、YAML 或 .xlsx 文件路径）给一份答案打分。答案文件是 JSON 对象"
            '{"条目id": "选项标签" 或 "N/A" 或 {"answer": …, "note": …, "attachments": […]}, …}，'
            "或用 --export 生成的 .xlsx 答案表。同样的答案总得到同样的结果；答案有误时列出"
            "每个有问题的条目（Excel 为工作表和单元格）及其可选答案，退出码为 2。"
        ),
    )
    assess.add_argument("checklist", metavar="CHECKLIST", help="内置清单 id 或清单文件（.yaml / .xlsx）路径")
    assess.add_argument("answers", type=Path, nargs="?", metavar="ANSWERS", help="答案文件（.json 或 .xlsx）")
    assess.add_argument(
        "--export", type=Path, metavar="FILE.xlsx", help="只写出空白答案表（选项为下拉列表），不打分"
    )
    assess.add_argument(
        "--export-checklist-template",
        type=Path,
        metavar="FILE.xlsx",
        help="把清单写成 .xlsx 布局（部门可在此基础上改成自己的清单），不打分",
    )
    assess.add_argument("--org", default="", metavar="NAME", help="单位或社区名称（用于历史对比）")
    assess.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    assess.add_argument(
        "--report",
        type=Path,
        metavar="FILE.docx|FILE.md",
        help="另写报告：.docx 为 Word（内嵌雷达图），其他为 Markdown（雷达图以 data URI 内嵌）；另存同名 PNG",
    )
    assess.set_defaults(func=run_assess)

    listing = subparsers.add_parser("checklists", help="列出内置的自评清单")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    listing.set_defaults(func=run_checklists)

    history = subparsers.add_parser("history", help="查看自评历史记录")
    history.add_argument("--org", metavar="NAME", help="只看这个单位")
    history.add_argument("--checklist", metavar="ID", help="只看这份清单")
    history.add_argument("--json", action="store_true", help="输出 JSON")
    history.add_argument(
        "--trend", action="store_true", help="该单位（--org）在该清单（--checklist）上历次的总分和各维度得分"
    )
    history.add_argument("--chart", type=Path, metavar="FILE.png", help="与 --trend 同用：另写折线图")
    history.add_argument(
        "--district", action="store_true", help="同一清单版本上各单位最近一次自评的对比表（需 --checklist）"
    )
    history.add_argument("--version", type=int, metavar="N", help="与 --district 同用：清单版本（默认最新）")
    history.set_defaults(func=run_history)


def _assessor() -> Any:
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    return build_assistant(load_settings()).assessor


def run_assess(args: argparse.Namespace) -> int:
    from assistant.services.assess import AnswerError, ChecklistError, HistoryError

    service = _assessor()
    try:
        checklist = service.checklist(args.checklist)
        for warning in checklist.warnings:
            print(f"提示：{warning}", file=sys.stderr)
        if args.export or args.export_checklist_template:
            if args.export:
                print(f"空白答案表：{service.export_answers_template(args.checklist, args.export)}")
            if args.export_checklist_template:
                path = service.export_checklist(args.checklist, args.export_checklist_template)
                print(f"清单模板：{path}")
            return 0
        if args.answers is None:
            raise ValueError("缺少答案文件 ANSWERS（或用 --export 生成空白答案表）")
        answers = service.load_answers(args.answers, args.checklist)
        result = service.assess(args.checklist, answers, org=args.org)
    except (ValueError, ChecklistError, AnswerError, HistoryError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return INPUT_ERROR
    comparison = service.compare_with_previous(result)
    if args.report:
        report_path, chart = service.write_report(result, args.report)
        print(f"报告：{report_path}；雷达图：{chart.path}", file=sys.stderr)
    if args.json:
        print_json(round_numbers(result.to_dict()))
        return 0
    print(f"{result.title}（{result.checklist} 第 {result.version} 版）  单位：{result.org or '（未填写）'}")
    print(f"总分 {_fmt(result.total)}  等级 {result.level or '—'}")
    texts = {item.item: item.text for item in result.items}
    if result.critical_failed:
        print(f"关键条目未达标：{'、'.join(texts.get(i, i) for i in result.critical_failed)}")
    for gate in result.gates:
        print(f"  门槛 {'通过' if gate.passed else '未通过（等级最高为' + gate.cap + '）'}：{gate.text}")
    for dim in result.dimensions:
        print(f"  {dim.title}（权重 {dim.weight:g}）：{_fmt(dim.score)}")
    if comparison is not None:
        change = "—" if comparison.total_change is None else f"{comparison.total_change:+.2f}"
        print(f"与上次（{comparison.previous_assessed_at}）相比：总分 {change}")
    if result.weak_points:
        print("薄弱环节（补齐后可提升的分值）：")
        for weak in result.weak_points:
            print(f"  +{weak.gain:.2f}  {weak.text}")
            print(f"         依据：{weak.basis or '未注明'}；建议：{weak.advice or '—'}")
    return 0


def run_checklists(args: argparse.Namespace) -> int:
    from assistant.services.assess import ChecklistError

    try:
        checklists = _assessor().checklists()
    except ChecklistError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return INPUT_ERROR
    rows = [
        {
            "id": c.id,
            "title": c.title,
            "version": c.version,
            "audience": c.audience,
            "items": c.item_count(),
        }
        for c in checklists.values()
    ]
    if args.json:
        print_json({"checklists": rows})
    else:
        for row in rows:
            print(
                f"{row['id']}\t{row['title']}\t第 {row['version']} 版\t{row['audience']}\t{row['items']} 项"
            )
    return 0


def _run_trend(service: Any, args: argparse.Namespace) -> int:
    if args.org is None or not args.checklist:
        print("错误：--trend 需要 --org 和 --checklist", file=sys.stderr)
        return INPUT_ERROR
    points = service.trend(args.org, args.checklist)
    if args.chart and points:
        print(f"趋势图：{service.write_trend_chart(args.org, args.checklist, args.chart)}", file=sys.stderr)
    if args.json:
        print_json(round_numbers({"trend": [dataclasses.asdict(p) for p in points]}))
        return 0
    if not points:
        print("还没有自评记录。")
    for p in points:
        dims = "  ".join(f"{title} {_fmt(score)}" for _, title, score in p.dimensions)
        print(f"#{p.id}\t{p.assessed_at}\t第 {p.version} 版\t总分 {_fmt(p.total)}\t{p.level or '—'}\t{dims}")
    return 0


def _run_district(service: Any, args: argparse.Namespace) -> int:
    if not args.checklist:
        print("错误：--district 需要 --checklist", file=sys.stderr)
        return INPUT_ERROR
    rows = service.district(args.checklist, args.version)
    if args.json:
        print_json(round_numbers({"district": [dataclasses.asdict(r) for r in rows]}))
        return 0
    if not rows:
        print("还没有自评记录。")
    for rank, r in enumerate(rows, 1):
        dims = "  ".join(f"{title} {_fmt(score)}" for _, title, score in r.dimensions)
        org = r.org or "（未填写）"
        level = r.level or "—"
        print(f"{rank}\t{org}\t第 {r.version} 版\t总分 {_fmt(r.total)}\t{level}\t{r.assessed_at}\t{dims}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from assistant.services.assess import HistoryError

    try:
        service = _assessor()
        if args.trend:
            return _run_trend(service, args)
        if args.district:
            return _run_district(service, args)
        entries = service.history(org=args.org, checklist=args.checklist)
    except (HistoryError, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return INPUT_ERROR
    if args.json:
        print_json(
            round_numbers(
                {
                    "assessments": [
                        {
                            "id": e.id,
                            "org": e.org,
                            "checklist": e.checklist,
                            "version": e.version,
                            "total": e.total,
                            "level": e.level,
                            "assessed_at": e.assessed_at,
                            "dimensions": e.result.get("dimensions", []),
                        }
                        for e in entries
                    ]
                }
            )
        )
        return 0
    if not entries:
        print("还没有自评记录。")
    previous: dict[tuple[str, str], float | None] = {}
    for e in entries:
        key = (e.org, e.checklist)
        before = previous.get(key)
        change = f"（{e.total - before:+.2f}）" if before is not None and e.total is not None else ""
        previous[key] = e.total
        org = e.org or "（未填写）"
        print(f"#{e.id}\t{e.assessed_at}\t{org}\t{e.checklist}\t{_fmt(e.total)}{change}\t{e.level or '—'}")
    return 0
