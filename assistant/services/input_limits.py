"""Bounds on every field a caller sends, checked before any work is done.

Why fixed numbers and not settings: they are part of the API contract (the README lists them),
and each is far above any real use — a question of 500 characters is a long paragraph, ten
earlier questions are a long conversation — while a caller past them could otherwise hold a
worker for seconds (a 100k-character history item took 13 s per call) or grow the assessment
history without bound. Every check raises :class:`InputLimitError` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_QUESTION_CHARS = 500
MAX_HISTORY_ITEMS = 10
MAX_HISTORY_ITEM_CHARS = 500
MAX_ORG_CHARS = 100
MAX_ANSWERS_BYTES = 64 * 1024
MAX_ANSWER_ITEMS = 500
MAX_CHECKLIST_ID_CHARS = 100
MAX_AUDIENCE_CHARS = 20
MAX_UPLOAD_FILES = 20


class InputLimitError(ValueError):
    """A field is too long or has too many items; the message names it, in Chinese."""


def check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise InputLimitError("问题不能为空。")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputLimitError(f"问题过长：{len(question)} 字，上限 {MAX_QUESTION_CHARS} 字。")
    return question


def check_history(history: Sequence[Any] | None) -> list[str]:
    """Earlier questions of a conversation: at most MAX_HISTORY_ITEMS, each bounded."""
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise InputLimitError("history 应为此前问题组成的列表。")
    if len(history) > MAX_HISTORY_ITEMS:
        raise InputLimitError(f"history 过长：{len(history)} 条，上限 {MAX_HISTORY_ITEMS} 条。")
    items: list[str] = []
    for number, item in enumerate(history, start=1):
        if not isinstance(item, str):
            raise InputLimitError(f"history 第 {number} 条应为文字。")
        if len(item) > MAX_HISTORY_ITEM_CHARS:
            raise InputLimitError(
                f"history 第 {number} 条过长：{len(item)} 字，上限 {MAX_HISTORY_ITEM_CHARS} 字。"
            )
        if item.strip():
            items.append(item.strip())
    return items


def check_org(org: str | None) -> str:
    org = (org or "").strip()
    if len(org) > MAX_ORG_CHARS:
        raise InputLimitError(f"单位名称（org）过长：{len(org)} 字，上限 {MAX_ORG_CHARS} 字。")
    return org


def check_short(name: str, value: str | None, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InputLimitError(f"{name} 过长：{len(value)} 字，上限 {limit} 字。")
    return value


def parse_answers(answers: str | dict[str, Any]) -> dict[str, Any]:
    """The answers JSON of an assessment: bounded in bytes and items, a flat object."""
    if isinstance(answers, str):
        size = len(answers.encode("utf-8"))
        if size > MAX_ANSWERS_BYTES:
            raise InputLimitError(f"answers 过大：{size} 字节，上限 {MAX_ANSWERS_BYTES} 字节。")
        try:
            answers = json.loads(answers)
        except json.JSONDecodeError as exc:
            raise InputLimitError(f"answers 不是有效的 JSON：{exc}") from exc
    if not isinstance(answers, dict):
        raise InputLimitError('answers 应为 JSON 对象 {"条目id": "选项标签", …}')
    if len(answers) > MAX_ANSWER_ITEMS:
        raise InputLimitError(f"answers 条目过多：{len(answers)} 条，上限 {MAX_ANSWER_ITEMS} 条。")
    return answers
