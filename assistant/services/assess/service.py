"""The self-assessment service used by both shells (CLI and web app).

It resolves a checklist, scores the answers (pure), attaches evidence to weak points,
stamps the time and stores the result in the history. Presentation (JSON rounding,
Markdown, chart) stays outside the scoring so the web app can render its own way.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from assistant.services.assess.chart import ChartInfo, render_radar, render_trend
from assistant.services.assess.compare import (
    Comparison,
    DistrictRow,
    TrendPoint,
    compare_results,
    district,
    trend,
)
from assistant.services.assess.docx_report import render_docx
from assistant.services.assess.history import HistoryEntry, HistoryStore
from assistant.services.assess.model import Checklist, ChecklistError, load_checklist, load_checklists
from assistant.services.assess.report import render_markdown
from assistant.services.assess.scoring import AssessmentResult, WeakPoint, score_assessment
from assistant.services.assess.xlsx_io import (
    MAX_ATTACHMENTS,
    MAX_CELL_CHARS,
    MAX_NOTE_CHARS,
    read_answers_xlsx,
    write_answers_template,
    write_checklist_xlsx,
)
from assistant.services.input_limits import MAX_ANSWER_ITEMS, MAX_ANSWERS_BYTES, InputLimitError, check_org
from assistant.settings import Settings

_OPEN, _CLOSE = "《〈", "》〉"
_LOCATOR_END = re.compile(r"[《；;，,。]")


def split_basis(basis: str) -> list[tuple[str, str]]:
    """``(title, locator)`` pairs of a basis such as ``《上海市防汛条例》第十三条``.

    Titles may nest (``《上海市实施〈突发事件应对法〉办法》``); the inner brackets are
    returned as 〈〉. The locator is the article (第X条) or seed-paper section (三、（二）).
    """
    pairs: list[tuple[str, str]] = []
    i = 0
    while (start := basis.find("《", i)) != -1:
        depth, j = 0, start
        while j < len(basis):
            if basis[j] in _OPEN:
                depth += 1
            elif basis[j] in _CLOSE:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = basis[start + 1 : j].replace("《", "〈").replace("》", "〉")
        rest = basis[j + 1 :]
        end = _LOCATOR_END.search(rest)
        locator = (rest[: end.start()] if end else rest).strip()
        pairs.append((inner, locator))
        i = j + 1
    return pairs


class EvidenceFinder(Protocol):
    """Finds passages supporting a weak point (the retrieval service provides one)."""

    def find_evidence(self, query: str, k: int) -> list[dict[str, Any]]:
        """Citations shaped like ``{"n", "source", "file", "locator", "text", "score"}``."""
        ...


def basis_citations(basis: str) -> list[dict[str, Any]]:
    """The item's own basis as citations: the fallback when no retrieval is available."""
    citations: list[dict[str, Any]] = []
    for title, locator in split_basis(basis):
        citations.append(
            {
                "n": len(citations) + 1,
                "source": title,
                "file": "",
                "locator": locator,
                "text": basis,
                "score": None,
            }
        )
    if not citations:
        citations.append({"n": 1, "source": basis, "file": "", "locator": "", "text": basis, "score": None})
    return citations


def split_answers(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Answers and per-item evidence from one mapping.

    A value is either the option label or ``{"answer": label, "note": text, "attachments":
    [file names]}``. Only file *names* are kept (a path is cut to its last part): the
    history records what was attached, never the contents or where it lay on a disk.
    """
    answers: dict[str, Any] = {}
    evidence: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if not isinstance(value, Mapping):
            answers[key] = value
            continue
        answers[key] = value.get("answer")
        note = value.get("note") or ""
        names = value.get("attachments") or []
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise InputLimitError(f"条目 {key} 的 note 应为不超过 {MAX_NOTE_CHARS} 字的文字。")
        if not isinstance(names, list) or len(names) > MAX_ATTACHMENTS:
            raise InputLimitError(f"条目 {key} 的 attachments 应为不超过 {MAX_ATTACHMENTS} 个文件名的列表。")
        if any(not isinstance(n, str) or len(n) > MAX_CELL_CHARS for n in names):
            raise InputLimitError(f"条目 {key} 的 attachments 中有不是文字或过长的文件名。")
        cleaned = [re.split(r"[\\/]", n.strip())[-1] for n in names if n.strip()]
        if note.strip() or cleaned:
            evidence[key] = {"note": note.strip(), "attachments": cleaned}
    return answers, evidence


class AssessmentService:
    """Checklists, scoring, history and reports behind one object."""

    def __init__(
        self, settings: Settings, evidence_finder: EvidenceFinder | None = None, evidence_k: int = 3
    ) -> None:
        self.settings = settings
        self.evidence_finder = evidence_finder
        self.evidence_k = evidence_k
        self.history_store = HistoryStore(settings.data_dir)

    @property
    def checklists_dir(self) -> Path:
        return self.settings.corpus_dir / "checklists"

    def checklists(self) -> dict[str, Checklist]:
        """The bundled checklists by id (validated; a bad file raises ChecklistError)."""
        return load_checklists(self.checklists_dir)

    def checklist(self, id_or_path: str | Path) -> Checklist:
        """A bundled checklist by id, or any checklist file by path."""
        path = Path(id_or_path)
        if path.suffix.lower() in {".yaml", ".yml"} or path.is_file():
            return load_checklist(path)
        bundled = self.checklists()
        if str(id_or_path) not in bundled:
            known = "、".join(sorted(bundled)) or "（无）"
            raise ChecklistError(path, [f"没有 id 为“{id_or_path}”的清单；可用：{known}"])
        return bundled[str(id_or_path)]

    def _evidence(self, weak: WeakPoint) -> tuple[dict[str, Any], ...]:
        if self.evidence_finder is None:
            return tuple(basis_citations(weak.basis))
        found = self.evidence_finder.find_evidence(f"{weak.text} {weak.basis}", self.evidence_k)
        return tuple(found) if found else tuple(basis_citations(weak.basis))

    def assess(
        self, checklist_id_or_path: str | Path, answers: Mapping[str, Any], org: str = ""
    ) -> AssessmentResult:
        """Score, attach citations, stamp the time and store in the history (one transaction).

        ``answers`` values are labels or ``{"answer", "note", "attachments"}`` (see
        :func:`split_answers`); the evidence is stored and reported, never scored.
        """
        org = check_org(org)  # bounded before any work: the history must not grow without limit
        if len(answers) > MAX_ANSWER_ITEMS:
            raise InputLimitError(f"answers 条目过多：{len(answers)} 条，上限 {MAX_ANSWER_ITEMS} 条。")
        labels, item_evidence = split_answers(answers)
        checklist = self.checklist(checklist_id_or_path)
        result = score_assessment(checklist, labels)
        weak = tuple(dataclasses.replace(w, evidence=self._evidence(w)) for w in result.weak_points)
        stamp = datetime.now(ZoneInfo(self.settings.timezone)).isoformat(timespec="seconds")
        result = dataclasses.replace(
            result,
            weak_points=weak,
            org=org,
            assessed_at=stamp,
            item_evidence=item_evidence,
            checklist_path=str(checklist.path or ""),
        )
        record_id = self.history_store.add(
            org, checklist.id, checklist.version, dict(result.answers), result.to_dict(), item_evidence
        )
        return dataclasses.replace(result, assessment_id=record_id)

    def history(self, org: str | None = None, checklist: str | None = None) -> list[HistoryEntry]:
        """Stored assessments, oldest first."""
        return self.history_store.entries(org=org, checklist=checklist)

    def compare_with_previous(self, result: AssessmentResult) -> Comparison | None:
        """Change since the latest earlier assessment of the same org and checklist, if any."""
        earlier = self.history_store.entries(
            org=result.org, checklist=result.checklist, before_id=result.assessment_id
        )
        if not earlier:
            return None
        previous = earlier[-1]
        return compare_results(previous.id, previous.result, result.to_dict())

    def load_answers(self, path: Path, checklist_id_or_path: str | Path) -> dict[str, Any]:
        """Answers from a JSON object file or a filled ``.xlsx`` answer sheet (bounded)."""
        path = Path(path)
        if path.suffix.lower() == ".xlsx":
            return read_answers_xlsx(path, self.checklist(checklist_id_or_path))
        try:
            size = path.stat().st_size
            if size > MAX_ANSWERS_BYTES:
                raise InputLimitError(
                    f"答案文件 {path.name} 过大：{size} 字节，上限 {MAX_ANSWERS_BYTES} 字节。"
                )
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ValueError(f"找不到答案文件 {path}") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"答案文件 {path.name} 不是有效的 UTF-8 JSON：{exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f'答案文件 {path.name} 应为 JSON 对象 {{"条目id": "选项标签", …}}')
        return data

    def export_answers_template(self, checklist_id_or_path: str | Path, path: Path) -> Path:
        """A blank ``.xlsx`` answer sheet with the options as drop-downs."""
        return write_answers_template(self.checklist(checklist_id_or_path), Path(path))

    def export_checklist(self, checklist_id_or_path: str | Path, path: Path) -> Path:
        """A checklist in the ``.xlsx`` layout (a template a department edits into its own)."""
        return write_checklist_xlsx(self.checklist(checklist_id_or_path), Path(path))

    def write_report(self, result: AssessmentResult, report_path: str | Path) -> tuple[Path, ChartInfo]:
        """Write the report (``.docx`` or Markdown) and the radar PNG beside it (``<name>.radar.png``).

        Both formats are self-contained: the DOCX embeds the chart as an image part, the
        Markdown as a ``data:`` URI, so the downloaded file alone shows the chart.
        """
        report_path = Path(report_path)
        chart_path = report_path.with_name(f"{report_path.stem}.radar.png")
        chart = render_radar(
            chart_path, [(d.id, d.title, d.score) for d in result.dimensions], title=result.title
        )
        comparison = self.compare_with_previous(result)
        checklist = self._checklist_of(result)
        if report_path.suffix.lower() == ".docx":
            render_docx(result, checklist, chart_path, report_path, self.settings.timezone, comparison)
            return report_path, chart
        data_uri = "data:image/png;base64," + base64.b64encode(chart_path.read_bytes()).decode("ascii")
        rubrics = {
            (item.id, o.label): o.rubric for _, item in checklist.items() for o in item.options if o.rubric
        }
        text = render_markdown(result, comparison, data_uri, self.settings.timezone, rubrics)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text, encoding="utf-8")
        return report_path, chart

    def _checklist_of(self, result: AssessmentResult) -> Checklist:
        if result.checklist_path:
            return self.checklist(result.checklist_path)
        return self.checklist(result.checklist)

    def trend(self, org: str, checklist: str) -> list[TrendPoint]:
        """Total and per-dimension scores of every assessment of one org and checklist, oldest first."""
        return trend(self.history_store.entries(org=org, checklist=checklist))

    def write_trend_chart(self, org: str, checklist: str, path: Path) -> Path:
        """The trend as a line chart PNG (total and each dimension over the assessments)."""
        points = self.trend(org, checklist)
        if not points:
            raise ValueError(f"单位“{org}”还没有清单 {checklist} 的自评记录。")
        return render_trend(Path(path), points, title=f"{org} · {points[-1].title}")

    def district(self, checklist: str, version: int | None = None) -> list[DistrictRow]:
        """Each organisation's latest assessment of one checklist version, best total first."""
        return district(self.history_store.entries(checklist=checklist), version)
