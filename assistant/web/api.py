"""The named API endpoints ``ask``, ``assess`` and ``checklists`` — the CLI's JSON over HTTP.

Each returns exactly what the matching ``python -m assistant … --json`` prints, so scripts can
switch between the two. Bad input raises ``gr.Error`` with the same message the CLI prints to
stderr; gradio_client surfaces it as an ``AppError``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.cli.assess_cmd import round_numbers
from assistant.services.input_limits import (
    MAX_AUDIENCE_CHARS,
    MAX_CHECKLIST_ID_CHARS,
    InputLimitError,
    check_history,
    check_org,
    check_question,
    check_short,
    parse_answers,
)
from assistant.web.chat import ANSWER_GROUP
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
        try:
            question = check_question(question if isinstance(question, str) else "")
            previous = check_history(history)
            audience = check_short(
                "audience", audience if isinstance(audience, str) else "", MAX_AUDIENCE_CHARS
            )
            result = ctx.assistant.answer_service.ask(question, audience=audience, history=previous)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        return result.to_json()

    def assess(checklist: str, answers: str, org: str = "") -> dict[str, Any]:
        """Score a self-assessment (the `assess --json` object). answers: JSON {"item id": "option label"}."""
        from assistant.services.assess import AnswerError, ChecklistError, HistoryError

        try:
            checklist = check_short(
                "checklist", checklist if isinstance(checklist, str) else "", MAX_CHECKLIST_ID_CHARS
            )
            org = check_org(org if isinstance(org, str) else "")
            parsed = parse_answers(answers)
        except InputLimitError as exc:
            raise gr.Error(str(exc)) from exc
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
