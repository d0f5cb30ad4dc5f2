"""The named API endpoints ``ask``, ``assess`` and ``checklists`` — the CLI's JSON over HTTP.

Each returns exactly what the matching ``python -m assistant … --json`` prints, so scripts can
switch between the two. Bad input raises ``gr.Error`` with the same message the CLI prints to
stderr; gradio_client surfaces it as an ``AppError``.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from assistant.cli.assess_cmd import round_numbers
from assistant.web.chat import ANSWER_GROUP, MAX_QUESTION_CHARS
from assistant.web.context import WebContext


def checklist_rows(ctx: WebContext) -> dict[str, Any]:
    """``checklists --json``: id, title, version, audience and item count of each bundled checklist."""
    return {
        "checklists": [
            {
                "id": c.id,
                "title": c.title,
                "version": c.version,
                "audience": c.audience,
                "items": c.item_count(),
            }
            for c in ctx.assistant.assessor.checklists().values()
        ]
    }


def register(ctx: WebContext) -> None:
    """Add the endpoints to the current ``gr.Blocks``."""

    def ask(question: str, audience: str = "staff", history: list[str] | None = None) -> dict[str, Any]:
        """Answer a question with citations (the `ask --json` object). history: earlier questions."""
        question = (question or "").strip()
        if not question:
            raise gr.Error("问题不能为空。")
        if len(question) > MAX_QUESTION_CHARS:
            raise gr.Error(f"问题过长（超过 {MAX_QUESTION_CHARS} 字）。")
        previous = [str(q) for q in (history or []) if str(q).strip()]
        try:
            result = ctx.assistant.answer_service.ask(question, audience=audience, history=previous)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        return result.to_json()

    def assess(checklist: str, answers: str, org: str = "") -> dict[str, Any]:
        """Score a self-assessment (the `assess --json` object). answers: JSON {"item id": "option label"}."""
        from assistant.services.assess import AnswerError, ChecklistError, HistoryError

        try:
            parsed = json.loads(answers) if isinstance(answers, str) else answers
        except json.JSONDecodeError as exc:
            raise gr.Error(f"answers 不是有效的 JSON：{exc}") from exc
        if not isinstance(parsed, dict):
            raise gr.Error('answers 应为 JSON 对象 {"条目id": "选项标签", …}')
        if "/" in checklist or "\\" in checklist or checklist.endswith((".yaml", ".yml")):
            raise gr.Error("checklist 应为内置清单的 id（见 checklists 接口）。")  # no server-side paths
        try:
            result = ctx.assistant.assessor.assess(checklist, parsed, org=org or "")
        except (ValueError, ChecklistError, AnswerError, HistoryError) as exc:
            raise gr.Error(str(exc)) from exc
        return dict(round_numbers(result.to_dict()))

    def checklists() -> dict[str, Any]:
        """The bundled checklists (the `checklists --json` object)."""
        return checklist_rows(ctx)

    gr.api(ask, api_name="ask", concurrency_id=ANSWER_GROUP)
    gr.api(assess, api_name="assess")
    gr.api(checklists, api_name="checklists")
