"""Checklist self-assessment: checklists as data, deterministic scoring, history, reports."""

from assistant.services.assess.chart import ChartInfo, CjkFontMissingWarning, find_cjk_font, render_radar
from assistant.services.assess.compare import Comparison, DimensionChange, compare_results
from assistant.services.assess.history import HistoryEntry, HistoryError, HistoryStore
from assistant.services.assess.model import (
    NA,
    Checklist,
    ChecklistError,
    Dimension,
    Item,
    Level,
    Option,
    load_checklist,
    load_checklists,
)
from assistant.services.assess.scoring import (
    AnswerError,
    AnswerProblem,
    AssessmentResult,
    DimensionScore,
    ItemScore,
    WeakPoint,
    score_assessment,
)
from assistant.services.assess.service import AssessmentService, EvidenceFinder, basis_citations, split_basis

__all__ = [
    "NA",
    "AnswerError",
    "AnswerProblem",
    "AssessmentResult",
    "AssessmentService",
    "ChartInfo",
    "Checklist",
    "ChecklistError",
    "CjkFontMissingWarning",
    "Comparison",
    "Dimension",
    "DimensionChange",
    "DimensionScore",
    "EvidenceFinder",
    "HistoryEntry",
    "HistoryError",
    "HistoryStore",
    "Item",
    "ItemScore",
    "Level",
    "Option",
    "WeakPoint",
    "basis_citations",
    "compare_results",
    "find_cjk_font",
    "load_checklist",
    "load_checklists",
    "render_radar",
    "score_assessment",
    "split_basis",
]
