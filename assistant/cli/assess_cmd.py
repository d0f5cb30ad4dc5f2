"""``assess``, ``checklists`` and ``history``: the self-assessment sub-commands.

The handlers parse input, call :attr:`Assistant.assessor` and present; numbers are rounded
to two decimals only here, when printed. Bad input (unknown checklist, malformed answers
file, answers that do not fit the checklist) exits with status 2 and names the problem.
"""

from __future__ import annotations

import argparse
import json
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
            "用清单（内置清单 id 或 YAML 文件路径）给一份答案打分。答案文件是 JSON 对象："
            '{"条目id": "选项标签" 或 "N/A", …}。同样的答案总得到同样的结果；答案有误时列出'
            "每个有问题的条目及其可选答案，退出码为 2。"
        ),
    )
    assess.add_argument("checklist", metavar="CHECKLIST", help="内置清单 id 或清单 YAML 文件路径")
    assess.add_argument("answers", type=Path, metavar="ANSWERS.json", help="答案 JSON 文件")
    assess.add_argument("--org", default="", metavar="NAME", help="单位或社区名称（用于历史对比）")
    assess.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    assess.add_argument("--report", type=Path, metavar="FILE.md", help="另写 Markdown 报告和同名雷达图 PNG")
    assess.set_defaults(func=run_assess)

    listing = subparsers.add_parser("checklists", help="列出内置的自评清单")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    listing.set_defaults(func=run_checklists)

    history = subparsers.add_parser("history", help="查看自评历史记录")
    history.add_argument("--org", metavar="NAME", help="只看这个单位")
    history.add_argument("--checklist", metavar="ID", help="只看这份清单")
    history.add_argument("--json", action="store_true", help="输出 JSON")
    history.set_defaults(func=run_history)


def _assessor() -> Any:
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    return build_assistant(load_settings()).assessor


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"找不到答案文件 {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"答案文件 {path.name} 不是有效的 UTF-8 JSON：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f'答案文件 {path.name} 应为 JSON 对象 {{"条目id": "选项标签", …}}')
    return data


def run_assess(args: argparse.Namespace) -> int:
    from assistant.services.assess import AnswerError, ChecklistError, HistoryError

    service = _assessor()
    try:
        answers = _read_answers(args.answers)
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
    if result.critical_failed:
        print(f"关键条目未达标：{'、'.join(result.critical_failed)}")
    for dim in result.dimensions:
        print(f"  {dim.title}（权重 {dim.weight:g}）：{_fmt(dim.score)}")
    if comparison is not None:
        change = "—" if comparison.total_change is None else f"{comparison.total_change:+.2f}"
        print(f"与上次（{comparison.previous_assessed_at}）相比：总分 {change}")
    if result.weak_points:
        print("薄弱环节（补齐后可提升的分值）：")
        for weak in result.weak_points:
            print(f"  +{weak.gain:.2f}  [{weak.item}] {weak.text}")
            print(f"         依据：{weak.basis}；建议：{weak.advice}")
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


def run_history(args: argparse.Namespace) -> int:
    from assistant.services.assess import HistoryError

    try:
        entries = _assessor().history(org=args.org, checklist=args.checklist)
    except HistoryError as exc:
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
