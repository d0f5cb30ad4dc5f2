"""The Gradio Blocks app: emergency strip, four tabs, the named API, queue and launch options.

Concurrency is set deliberately for small machines: answering is CPU-bound (query embedding,
BM25, sentence scoring), so at most ``web_concurrency`` answers run at once — the chat and the
``ask`` API share that budget — and at most ``web_queue_size`` requests wait; more get a
"queue full" error instead of piling up without bound. Index writes run one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from assistant.factory import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.web import about, api, assess, chat, library, lookup
from assistant.web.access import AccessPolicy, parse_auth
from assistant.web.context import CONTENT_DIR, WebContext
from assistant.web.guards import LoginLimiter, UploadGuard

TITLE = "韧性城市知识助手"


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The whole app for one assistant (its models and indexes shared by every request)."""
    ctx = WebContext.create(assistant)
    settings = assistant.settings
    # Gradio's cache (uploads, report downloads) is swept hourly of files older than a day.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.HTML(
            f'<div class="app-head"><h1>{TITLE}</h1><span class="sub">'
            "城市安全与韧性知识问答 · 自评 · 知识库（离线运行，回答均注明出处）</span></div>",
            elem_id="app-head",
        )
        # sticky (content/app.css): the numbers stay on screen while a reply is read
        gr.HTML(about.emergency_banner(ctx), elem_id="emergency-wrap")
        with gr.Tabs():
            chat.build(ctx)
            lookup.build(ctx)
            assess.build(ctx, demo)
            library.build(ctx, demo)
            about.build(ctx, demo)
        api.register(ctx)
    demo.queue(default_concurrency_limit=settings.web_concurrency, max_size=settings.web_queue_size)
    return demo


def accessible_theme() -> gr.themes.Base:
    """Gradio's Soft theme with the contrast WCAG AA asks for (checked by axe-core in the tests).

    Soft draws labels, the selected tab and the selected radio in indigo-500 and hints in
    grey-400, 2.4–4.5:1 on its light backgrounds; one step or two darker reaches ≥ 4.5:1.
    """
    # local font names only: a GoogleFont would make every page load fetch from the internet
    theme = gr.themes.Soft(font=["Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif"])
    return theme.set(
        color_accent="*primary_700",
        body_text_color_subdued="*neutral_600",
        block_title_text_color="*primary_800",
        block_label_text_color="*primary_800",
        block_info_text_color="*neutral_600",
        checkbox_label_background_fill_selected="*primary_700",
        checkbox_label_background_fill_selected_dark="*primary_700",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
    )


def launch_options(settings: Settings, routes: Sequence[BaseRoute] = ()) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: address, login, upload limit, file-route hardening.

    ``routes`` are plain HTTP routes served beside Gradio's, outside its queue (``/healthz``,
    the OpenAI-compatible ``/v1`` routes of a replica).
    """
    pairs = parse_auth(settings.auth)
    # Nothing of the project (index, history, .env with passwords) is ever served; reports and
    # uploads reach the browser only through Gradio's own cache folder.
    blocked = [PROJECT_ROOT, settings.index_dir, settings.data_dir, settings.corpus_dir, settings.prompts_dir]
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": pairs or None,
        "auth_message": "请使用管理员分配的账号登录。" if pairs else None,
        "max_file_size": f"{settings.upload_max_mb:g}mb",
        "allowed_paths": [],
        "blocked_paths": [str(Path(p).resolve()) for p in blocked],
        "show_error": True,
        "footer_links": ["api"],
        "css_paths": [CONTENT_DIR / "app.css"],
        "js": (CONTENT_DIR / "app.js").read_text(encoding="utf-8"),
        "head": f"<style>{(CONTENT_DIR / 'page.css').read_text(encoding='utf-8')}</style>",
        "theme": accessible_theme(),
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        # Gradio's own start-up lines include "To create a public link, set share=True", which
        # contradicts the loopback-only promise; quiet=True is its supported switch for them.
        # app.py prints the local URL itself once the server listens.
        "share": False,
        "quiet": True,
        "prevent_thread_lock": True,
        # checks in front of Gradio's own routes: uploads by non-admins, login guessing
        "app_kwargs": {
            "routes": list(routes),
            "middleware": [
                Middleware(UploadGuard, policy=AccessPolicy.from_settings(settings)),
                Middleware(LoginLimiter),
            ],
        },
    }
