"""The self-assessment service used by both shells (CLI and web app).

It resolves a checklist, scores the answers (pure), attaches evidence to weak points,
stamps the time and stores the result in the history. Presentation (JSON rounding,
Markdown, chart) stays outside the scoring so the web app can render its own way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.services.assess.chart import ChartInfo, render_radar
from assistant.services.assess.compare import Comparison, compare_results
from assistant.services.assess.history import HistoryEntry, HistoryStore
from assistant.services.assess.model import Checklist, ChecklistError, load_checklist, load_checklists
from assistant.services.assess.report import render_markdown
from assistant.services.assess.scoring import AssessmentResult, WeakPoint, score_assessment
from assistant.services.input_limits import MAX_ANSWER_ITEMS, InputLimitError, check_org
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
        self, checklist_id_or_path: str | Path, answers: Mapping[str, str], org: str = ""
    ) -> AssessmentResult:
        """Score, attach evidence, stamp the time and store in the history (one transaction)."""
        org = check_org(org)  # bounded before any work: the history must not grow without limit
        if len(answers) > MAX_ANSWER_ITEMS:
            raise InputLimitError(f"answers 条目过多：{len(answers)} 条，上限 {MAX_ANSWER_ITEMS} 条。")
        checklist = self.checklist(checklist_id_or_path)
        result = score_assessment(checklist, answers)
        weak = tuple(dataclasses.replace(w, evidence=self._evidence(w)) for w in result.weak_points)
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        result = dataclasses.replace(result, weak_points=weak, org=org, assessed_at=stamp)
        record_id = self.history_store.add(
            org, checklist.id, checklist.version, dict(result.answers), result.to_dict()
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

    def write_report(self, result: AssessmentResult, md_path: str | Path) -> tuple[Path, ChartInfo]:
        """Write the Markdown report and the radar chart PNG beside it (``<name>.radar.png``)."""
        md_path = Path(md_path)
        chart_path = md_path.with_name(f"{md_path.stem}.radar.png")
        chart = render_radar(
            chart_path, [(d.id, d.title, d.score) for d in result.dimensions], title=result.title
        )
        comparison = self.compare_with_previous(result)
        text = render_markdown(result, comparison, chart_file=chart_path.name)
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(text, encoding="utf-8")
        return md_path, chart
