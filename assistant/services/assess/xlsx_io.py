"""Checklists and answers as Excel workbooks (openpyxl), because departments keep them there.

Layout of a checklist workbook (``write_checklist_xlsx`` writes one; README documents it):

* sheet ``清单``: column A a key (id, title, version, audience, weak_below, critical_cap,
  description), column B its value;
* sheet ``等级``: header row, then one level per row: 等级 | 最低分;
* sheet ``条目``: header row, then one item per row: 维度id | 维度名称 | 维度权重 | 条目id |
  条目内容 | 权重 | 关键 | 可不适用 | 依据 | 建议 | 选项1 | 选项2 | …; an option cell is
  ``标签=分值`` or ``标签=分值：评分说明``; a blank 维度id continues the dimension above;
* sheet ``门槛`` (optional): header row, then id | 内容 | 未通过时最高等级 | 依据.

An answers workbook (``write_answers_template``) has a sheet ``答案`` (one row per gate and
item, the 答案 column offered as a drop-down of the allowed options), a sheet ``说明`` naming
the checklist and version, and a hidden sheet ``_选项`` holding the drop-down lists.

Workbooks are untrusted input: the file size, the zip members' uncompressed sizes (a
zip bomb is refused before openpyxl parses anything), the rows read and every cell's
length are bounded, and openpyxl runs in read-only mode. Bad cells are reported by sheet
and cell (``答案!E7：选项“部分完成”不在允许范围内``), all at once.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from assistant.services.assess.gates import GATE_LABELS
from assistant.services.assess.model import NA, Checklist

MAX_XLSX_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_ROWS = 2000
MAX_CELL_CHARS = 2000
MAX_NOTE_CHARS = 1000
MAX_ATTACHMENTS = 20

ITEM_HEADERS = [
    "维度id",
    "维度名称",
    "维度权重",
    "条目id",
    "条目内容",
    "权重",
    "关键",
    "可不适用",
    "依据",
    "建议",
]
ANSWER_HEADERS = ["类型", "id", "维度", "内容", "答案", "各选项含义", "证据说明", "附件文件名"]
_META_KEYS = ("id", "title", "version", "audience", "weak_below", "critical_cap", "description")
_TRUE = {"是", "true", "True", "TRUE", "1", "y", "yes"}
_FALSE = {"否", "false", "False", "FALSE", "0", "n", "no", ""}


class XlsxError(ValueError):
    """A workbook cannot be used; ``problems`` holds one line per bad cell."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Excel 文件 {self.path.name} 有 {len(problems)} 处问题：\n{lines}")


def check_xlsx_file(path: Path) -> None:
    """Refuse oversized, non-zip or zip-bomb files before openpyxl touches them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise XlsxError(path, [f"无法读取文件：{exc}"]) from exc
    if size > MAX_XLSX_BYTES:
        raise XlsxError(path, [f"文件过大：{size} 字节，上限 {MAX_XLSX_BYTES} 字节"])
    if not zipfile.is_zipfile(path):
        raise XlsxError(path, ["不是有效的 .xlsx 文件（文件已损坏，或不是 Excel 2007 及以后的格式）"])
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise XlsxError(path, [f"不是有效的 .xlsx 文件：{exc}"]) from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise XlsxError(path, [f"压缩包内文件过多：{len(members)} 个，上限 {MAX_XLSX_MEMBERS} 个"])
    total = sum(member.file_size for member in members)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise XlsxError(
            path, [f"解压后过大：{total} 字节，上限 {MAX_XLSX_UNCOMPRESSED} 字节（疑似压缩炸弹，已拒绝）"]
        )


def _open(path: Path) -> Any:
    from openpyxl import load_workbook

    check_xlsx_file(path)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on corrupt files; all mean "unusable"
        raise XlsxError(path, [f"无法解析 Excel 文件：{type(exc).__name__}: {exc}"]) from exc


def _cell_ref(column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _rows(path: Path, sheet: Any, problems: list[str]) -> list[tuple[int, list[Any]]]:
    """(row number, values) of non-empty rows after the first, bounded in rows and cell length."""
    rows: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        if number > MAX_XLSX_ROWS:
            raise XlsxError(path, [f"{sheet.title}：行数超过上限 {MAX_XLSX_ROWS}"])
        cells = list(values)
        for col, value in enumerate(cells, 1):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                problems.append(
                    f"{sheet.title}!{_cell_ref(col, number)}："
                    f"内容过长（{len(value)} 字，上限 {MAX_CELL_CHARS} 字）"
                )
                cells[col - 1] = value[:MAX_CELL_CHARS]
        if any(v not in (None, "") for v in cells):
            rows.append((number, cells))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> Any:
    """Numbers stay numbers; numeric text becomes a number; anything else is passed on to be refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _text(value)
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text or None


def _weight(value: Any) -> Any:
    """A blank weight means the default 1 (as in YAML); anything written is validated as given."""
    return 1 if value in (None, "") else _number(value)


def _flag(value: Any, where: str, problems: list[str]) -> bool:
    text = _text(value)
    if text in _TRUE:
        return True
    if text not in _FALSE:
        problems.append(f"{where}：应填“是”或“否”，实际为“{text}”")
    return False


def _option(cell: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    label, sep, rest = cell.partition("=")
    if not sep:
        problems.append(f"{where}：选项应写作“标签=分值”或“标签=分值：评分说明”，实际为“{cell}”")
        return None
    score_text, _, rubric = rest.replace(":", "：", 1).partition("：")
    score = _number(score_text)
    option: dict[str, Any] = {"label": label.strip(), "score": score}
    if rubric.strip():
        option["rubric"] = rubric.strip()
    return option


def read_checklist_xlsx(path: Path) -> dict[str, Any]:
    """The checklist workbook as the same dictionary a YAML file gives (validated by the model)."""
    workbook = _open(path)
    problems: list[str] = []
    try:
        names = set(workbook.sheetnames)
        for required in ("清单", "等级", "条目"):
            if required not in names:
                problems.append(f"缺少工作表“{required}”")
        if problems:
            raise XlsxError(path, problems)
        data: dict[str, Any] = {}
        for number, cells in _rows(path, workbook["清单"], problems):
            key = _text(cells[0] if cells else None)
            value = cells[1] if len(cells) > 1 else None
            if key not in _META_KEYS:
                problems.append(f"清单!A{number}：未知字段“{key}”（可用：{'、'.join(_META_KEYS)}）")
                continue
            if value in (None, ""):
                continue
            data[key] = _number(value) if key in {"version", "weak_below"} else _text(value)
        levels = []
        for number, cells in _rows(path, workbook["等级"], problems)[1:]:
            cells += [None] * 2
            levels.append({"label": _text(cells[0]), "min": _number(cells[1])})
            if not _text(cells[0]):
                problems.append(f"等级!A{number}：缺少等级名称")
        data["levels"] = levels
        data["dimensions"] = _read_items(path, workbook["条目"], problems)
        if "门槛" in names:
            gates = []
            for _row, cells in _rows(path, workbook["门槛"], problems)[1:]:
                cells += [None] * 4
                gate = {"id": _text(cells[0]), "text": _text(cells[1]), "cap": _text(cells[2])}
                if _text(cells[3]):
                    gate["basis"] = _text(cells[3])
                gates.append(gate)
            data["gates"] = gates
    finally:
        workbook.close()
    if problems:
        raise XlsxError(path, problems)
    return data


def _read_items(path: Path, sheet: Any, problems: list[str]) -> list[dict[str, Any]]:
    rows = _rows(path, sheet, problems)
    if not rows:
        problems.append("条目：没有表头和条目")
        return []
    header = [_text(v) for v in rows[0][1]]
    if header[: len(ITEM_HEADERS)] != ITEM_HEADERS:
        problems.append(f"条目!A{rows[0][0]}：表头应为 {' | '.join(ITEM_HEADERS)} | 选项1 | 选项2 …")
        return []
    dimensions: list[dict[str, Any]] = []
    for number, cells in rows[1:]:
        cells += [None] * (len(ITEM_HEADERS) + 2 - len(cells))
        dim_id = _text(cells[0])
        if dim_id or not dimensions:
            dimensions.append(
                {"id": dim_id, "title": _text(cells[1]), "weight": _weight(cells[2]), "items": []}
            )
        item: dict[str, Any] = {
            "id": _text(cells[3]),
            "text": _text(cells[4]),
            "weight": _weight(cells[5]),
        }
        if _flag(cells[6], f"条目!G{number}", problems):
            item["critical"] = True
        if _flag(cells[7], f"条目!H{number}", problems):
            item["allow_na"] = True
        for key, value in (("basis", cells[8]), ("advice", cells[9])):
            if _text(value):
                item[key] = _text(value)
        options = []
        for col, value in enumerate(cells[len(ITEM_HEADERS) :], len(ITEM_HEADERS) + 1):
            if _text(value):
                option = _option(_text(value), f"条目!{_cell_ref(col, number)}", problems)
                if option is not None:
                    options.append(option)
        item["options"] = options
        dimensions[-1]["items"].append(item)
    return dimensions


def write_checklist_xlsx(checklist: Checklist, path: Path) -> Path:
    """A checklist in the workbook layout above (also the template a department starts from)."""
    from openpyxl import Workbook

    workbook = Workbook()
    meta = workbook.active
    meta.title = "清单"
    for key in _META_KEYS:
        value = getattr(checklist, key)
        meta.append([key, value])
    levels = workbook.create_sheet("等级")
    levels.append(["等级", "最低分"])
    for level in sorted(checklist.levels, key=lambda lv: lv.min, reverse=True):
        levels.append([level.label, level.min])
    items = workbook.create_sheet("条目")
    width = max(len(item.options) for _, item in checklist.items())
    items.append([*ITEM_HEADERS, *(f"选项{i}" for i in range(1, width + 1))])
    for dim in checklist.dimensions:
        for index, item in enumerate(dim.items):
            head = [dim.id, dim.title, dim.weight] if index == 0 else ["", "", ""]
            options = [f"{o.label}={o.score:g}" + (f"：{o.rubric}" if o.rubric else "") for o in item.options]
            flags = ["是" if item.critical else "否", "是" if item.allow_na else "否"]
            items.append([*head, item.id, item.text, item.weight, *flags, item.basis, item.advice, *options])
    if checklist.gates:
        gates = workbook.create_sheet("门槛")
        gates.append(["id", "内容", "未通过时最高等级", "依据"])
        for gate in checklist.gates:
            gates.append([gate.id, gate.text, gate.cap, gate.basis])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_answers_template(checklist: Checklist, path: Path) -> Path:
    """A blank answer sheet: one row per gate and item, options as drop-down validation."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "答案"
    sheet.append(ANSWER_HEADERS)
    info = workbook.create_sheet("说明")
    info.append(["checklist", checklist.id])
    info.append(["version", checklist.version])
    info.append(
        [
            "填写方法",
            "在“答案”工作表的 E 列下拉选择答案；证据说明与附件文件名（仅文件名，多个用“；”分隔）可选填。",
        ]
    )
    lists = workbook.create_sheet("_选项")
    lists.sheet_state = "hidden"
    rows: list[tuple[str, str, str, str, list[str], str]] = [
        ("门槛", g.id, "", g.text, list(GATE_LABELS), "") for g in checklist.gates
    ]
    for dim, item in checklist.items():
        rubric = "；".join(f"{o.label}：{o.rubric}" for o in item.options if o.rubric)
        rows.append(("条目", item.id, dim.title, item.text, item.labels, rubric))
    for number, (kind, row_id, dim_title, text, labels, rubric) in enumerate(rows, 2):
        sheet.append([kind, row_id, dim_title, text, None, rubric, None, None])
        lists.append(labels)
        end = get_column_letter(len(labels))
        validation = DataValidation(
            type="list", formula1=f"'_选项'!$A${number - 1}:${end}${number - 1}", allow_blank=True
        )
        validation.error = "请从下拉列表中选择"
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"E{number}")
    for column, width in zip("ABCDEFGH", (6, 22, 14, 50, 14, 40, 30, 30), strict=True):
        sheet.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def read_answers_xlsx(path: Path, checklist: Checklist) -> dict[str, Any]:
    """Answers (with evidence) from a filled template; every bad cell is named at once."""
    workbook = _open(path)
    problems: list[str] = []
    answers: dict[str, Any] = {}
    try:
        if "答案" not in workbook.sheetnames:
            raise XlsxError(path, ["缺少工作表“答案”（请用 assess --export 生成的模板填写）"])
        if "说明" in workbook.sheetnames:
            for number, cells in _rows(path, workbook["说明"], problems):
                if _text(cells[0]) == "checklist" and len(cells) > 1 and _text(cells[1]) != checklist.id:
                    problems.append(
                        f"说明!B{number}：该答案表属于清单“{_text(cells[1])}”，不是“{checklist.id}”"
                    )
        rows = _rows(path, workbook["答案"], problems)
    finally:
        workbook.close()
    header = [_text(v) for v in rows[0][1]] if rows else []
    if header[: len(ANSWER_HEADERS)] != ANSWER_HEADERS:
        raise XlsxError(path, [*problems, f"答案!A1：表头应为 {' | '.join(ANSWER_HEADERS)}"])
    allowed = {g.id: list(GATE_LABELS) for g in checklist.gates}
    allowed.update({item.id: item.labels for _, item in checklist.items()})
    for number, cells in rows[1:]:
        cells += [None] * (len(ANSWER_HEADERS) - len(cells))
        row_id, answer = _text(cells[1]), _text(cells[4])
        if row_id not in allowed:
            problems.append(f"答案!B{number}：清单中没有 id“{row_id}”")
            continue
        if not answer:
            problems.append(f"答案!E{number}：“{_text(cells[3]) or row_id}”未作答")
            continue
        if answer == "不适用":
            answer = NA
        if answer not in allowed[row_id]:
            choices = "、".join(f"“{a}”" for a in allowed[row_id])
            problems.append(f"答案!E{number}：选项“{answer}”不在允许范围内（可选：{choices}）")
            continue
        note = _text(cells[6])
        names = [n.strip() for n in _text(cells[7]).replace(";", "；").split("；") if n.strip()]
        if len(note) > MAX_NOTE_CHARS:
            problems.append(f"答案!G{number}：证据说明过长（{len(note)} 字，上限 {MAX_NOTE_CHARS} 字）")
        if len(names) > MAX_ATTACHMENTS:
            problems.append(f"答案!H{number}：附件过多（{len(names)} 个，上限 {MAX_ATTACHMENTS} 个）")
        answers[row_id] = {"answer": answer, "note": note, "attachments": names} if note or names else answer
    if problems:
        raise XlsxError(path, problems)
    return answers
