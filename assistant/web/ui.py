"""The Gradio Blocks app: emergency strip, four tabs, the named API, queue and launch options.

Concurrency is set deliberately for small machines: answering is CPU-bound (query embedding,
BM25, sentence scoring), so at most ``web_concurrency`` answers run at once — the chat and the
``ask`` API share that budget — and at most ``web_queue_size`` requests wait; more get a
"queue full" error instead of piling up without bound. Index writes run one at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from assistant.factory import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.web import about, api, assess, chat, library
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
        gr.HTML(about.emergency_banner(ctx))
        with gr.Tabs():
            chat.build(ctx)
            assess.build(ctx)
            library.build(ctx, demo)
            about.build(ctx, demo)
        api.register(ctx)
    demo.queue(default_concurrency_limit=settings.web_concurrency, max_size=settings.web_queue_size)
    return demo


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: address, login, upload limit, file-route hardening."""
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
        # local font names only: a GoogleFont would make every page load fetch from the internet
        "theme": gr.themes.Soft(font=["Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif"]),
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "quiet": False,
        # checks in front of Gradio's own routes: uploads by non-admins, login guessing
        "app_kwargs": {
            "middleware": [
                Middleware(UploadGuard, policy=AccessPolicy.from_settings(settings)),
                Middleware(LoginLimiter),
            ]
        },
    }
