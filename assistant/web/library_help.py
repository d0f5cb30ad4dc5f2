"""The guidance box of the 知识库 tab: how to be allowed to upload, and where to get texts.

Why a box and not a one-line status: a fresh ``make run`` serves only the pack's cards on a
loopback-only app without login, where uploads are off. A new user then needs three things
the app used to keep to itself — that uploads can be switched on (``RESILIENCE_LOCAL_ADMIN``,
see :mod:`assistant.web.access`), what the switch is safe for, and where official regulation
texts come from. The texts live in ``content/library_help.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.web import present
from assistant.web.context import CONTENT_DIR, WebContext, _yaml

_HELP = CONTENT_DIR / "library_help.yaml"
#: Document types that are official texts (a regulation's articles can be cited).
OFFICIAL_TYPES = frozenset({"regulation", "policy"})


def _section(block: dict[str, Any], css: str, **values: str) -> str:
    esc = present.escape_text

    def fill(text: Any) -> str:
        out = str(text)
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return esc(out)

    def items(key: str, tag: str) -> str:
        rows: Iterable[Any] = block.get(key) or []
        inner = "".join(f"<li>{fill(row)}</li>" for row in rows)
        return f"<{tag}>{inner}</{tag}>" if inner else ""

    parts = [f"<h2>{fill(block.get('title', ''))}</h2>"]
    if block.get("lead"):
        parts.append(f"<p>{fill(block['lead'])}</p>")
    parts.append(items("steps", "ol"))
    parts.append(items("sources", "ul"))
    if block.get("how"):
        parts.append(f"<p>添加方法：</p>{items('how', 'ol')}")
    if block.get("note"):
        parts.append(f'<p class="hint">{fill(block["note"])}</p>')
    return f'<div class="lib-hint {css}">{"".join(parts)}</div>'


def library_hint(ctx: WebContext, admin_ok: bool) -> str:
    """HTML guidance for this visitor: upload rights (when missing) and the empty-library help."""
    texts = _yaml(_HELP)
    settings = ctx.assistant.settings
    parts: list[str] = []
    if not admin_ok:
        if ctx.policy.auth_enabled:
            key = "not_admin"
        elif ctx.policy.loopback:
            key = "enable_uploads"
        else:
            key = "remote_no_auth"
        parts.append(_section(texts.get(key) or {}, f"hint-{key}", host=settings.host))
    entries = ctx.assistant.manifest.entries().values()
    if not entries:
        parts.append(_section(texts.get("empty") or {}, "hint-empty"))
    if not any(entry.doc_type in OFFICIAL_TYPES for entry in entries):
        parts.append(_section(texts.get("no_regulations") or {}, "hint-no-regulations"))
    return "".join(parts)
