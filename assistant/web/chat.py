"""问答 tab: streaming, cited answers for three audiences, with follow-up questions.

The chat keeps two histories: the ``gr.Chatbot`` messages (escaped HTML for display) and a
``gr.State`` of the questions as typed, which the answer service uses to resolve follow-ups
(“那橙色预警呢？”). Answering goes through :meth:`AnswerService.stream`; this module only
renders its events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.services.input_limits import MAX_HISTORY_ITEMS, MAX_QUESTION_CHARS
from assistant.services.llm_guard import strip_markup
from assistant.web import present
from assistant.web.context import WebContext

logger = logging.getLogger(__name__)

#: Concurrency group shared by the chat and the ``ask`` API: both run the same CPU-bound retrieval.
ANSWER_GROUP = "answer"


def _examples(ctx: WebContext, audience: str) -> list[dict[str, str]]:
    return [{"text": q} for q in ctx.examples.get(audience, [])]


def answer_stream(
    ctx: WebContext, question: str, messages: list[dict[str, Any]], questions: list[str], audience: str
) -> Iterator[tuple[list[dict[str, Any]], list[str], str]]:
    """Yield (chat messages, typed questions, textbox value) as the reply comes in."""
    question = (question or "").strip()
    if not question:
        yield messages, questions, ""
        return
    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
    messages = [
        *messages,
        {"role": "user", "content": present.user_html(question)},
        {"role": "assistant", "content": present.streaming_html("")},
    ]
    yield messages, questions, ""
    service = ctx.assistant.answer_service
    text = ""
    try:
        for event in service.stream(
            question, audience=audience, history=list(questions)[-MAX_HISTORY_ITEMS:]
        ):
            if event.kind == "delta":
                text += event.text
            elif event.kind == "replace":
                text = event.text
            if event.kind in ("delta", "replace"):
                # a model's half-written reply is untrusted: never render its links or images
                messages[-1] = {"role": "assistant", "content": present.streaming_html(strip_markup(text))}
                yield messages, questions, ""
            elif event.kind == "final" and event.result is not None:
                result = event.result
                terms = ctx.highlight_terms(result.resolved_question or question)
                cited = {
                    int(c.n): ctx.cited_articles(c.chunk.text if c.chunk else c.text)
                    for c in result.citations
                }
                html = present.reply_html(
                    result.answer, result.citations, terms, result.refused, result.notes, ctx.doc_types, cited
                )
                messages[-1] = {"role": "assistant", "content": html}
                yield messages, [*questions, question], ""
    except Exception as exc:  # one failed answer must not break the session
        logger.exception("answering failed")
        messages[-1] = {"role": "assistant", "content": present.error_html(f"回答时出错：{exc}")}
        yield messages, questions, ""


def build(ctx: WebContext) -> None:
    """The 问答 tab (call inside a ``gr.Blocks``/``gr.Tabs`` context)."""
    with gr.Tab("问答", id="chat"):
        audience = gr.Radio(
            choices=ctx.audience_choices(),
            value="resident",
            label="我是",
            elem_id="audience",
        )
        chatbot = gr.Chatbot(
            value=[],
            label="问答",
            show_label=False,  # the tab is already named 问答; the badge covered a reply's first line
            elem_id="chatbot",
            # Fits the viewport with the input below it (phone and desktop); the page script
            # (content/app.js) scrolls to the START of each new reply, so autoscroll is off.
            height="clamp(240px, calc(100dvh - 470px), 640px)",
            autoscroll=False,
            examples=_examples(ctx, "resident"),  # type: ignore[arg-type]
            placeholder="请输入问题，或点选下面的示例问题。回答均摘自知识库，并列出来源。",
            latex_delimiters=[],
            sanitize_html=True,
            buttons=["copy"],
            feedback_options=None,
        )
        with gr.Row(elem_id="ask-row"):
            box = gr.Textbox(
                label="你的问题",
                show_label=False,
                placeholder="输入问题后按回车，例如：台风红色预警时居委会要做什么？",
                elem_id="question",
                scale=8,
                max_length=MAX_QUESTION_CHARS,
            )
            send = gr.Button("发送", variant="primary", elem_id="send", scale=1, min_width=72)
        clear = gr.Button("新对话", elem_id="new-chat", size="sm")
        questions = gr.State([])

        def run(
            question: str, messages: list[dict[str, Any]], asked: list[str], who: str
        ) -> Iterator[tuple[list[dict[str, Any]], list[str], str]]:
            yield from answer_stream(ctx, question, messages, asked, who)

        def pick_example(evt: gr.SelectData) -> str:
            value = evt.value
            return str(value.get("text", "")) if isinstance(value, dict) else str(value)

        def switch_audience(who: str, messages: list[dict[str, Any]]) -> Any:
            return gr.Chatbot(examples=_examples(ctx, who)) if not messages else gr.Chatbot()  # type: ignore[arg-type]

        common: dict[str, Any] = {
            "fn": run,
            "inputs": [box, chatbot, questions, audience],
            "outputs": [chatbot, questions, box],
            "concurrency_id": ANSWER_GROUP,
            "api_visibility": "private",
            "show_progress": "minimal",
        }
        box.submit(**common)
        send.click(**common)
        chatbot.example_select(pick_example, None, box, api_visibility="private", queue=False).then(**common)
        audience.change(switch_audience, [audience, chatbot], chatbot, api_visibility="private", queue=False)
        clear.click(
            lambda who: (gr.Chatbot(value=[], examples=_examples(ctx, who)), []),  # type: ignore[arg-type]
            [audience],
            [chatbot, questions],
            api_visibility="private",
            queue=False,
        )
