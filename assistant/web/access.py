"""Who may change the knowledge base: the login check and the upload allow-list.

Why these rules: with ``RESILIENCE_AUTH`` set, everyone logs in and only the logins in
``RESILIENCE_ADMIN_USERS`` may upload, delete or rebuild. Without auth nobody can be told
apart, so the library is read-only — unless ``RESILIENCE_LOCAL_ADMIN`` is on *and* the app
listens on loopback only (a single-user desktop install), where the person at the keyboard
is the admin. Every handler checks again on the server: hiding a button is not a control.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import Settings

#: Upload types the app accepts (the loaders read more, but these are what people send).
ALLOWED_SUFFIXES: tuple[str, ...] = (".md", ".txt", ".pdf", ".docx", ".html")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class AccessError(PermissionError):
    """The caller may not do this; the message says why, in Chinese."""


def parse_auth(value: str | None) -> list[tuple[str, str]]:
    """``"user:pw,user2:pw2"`` → ``[("user", "pw"), …]``; a malformed pair raises ValueError."""
    if not value or not value.strip():
        return []
    pairs: list[tuple[str, str]] = []
    for part in value.split(","):
        if not part.strip():
            continue
        user, sep, password = part.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError(f"RESILIENCE_AUTH 的一项“{part.strip()[:20]}”应写成 用户名:密码")
        pairs.append((user, password))
    return pairs


@dataclass(frozen=True)
class AccessPolicy:
    """Decides admin rights from the login Gradio reports for a request."""

    auth_enabled: bool
    admins: frozenset[str]
    local_admin: bool
    #: The app listens on loopback only (only this machine can reach it).
    loopback: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        loopback = settings.host.strip("[]") in _LOOPBACK
        local = settings.local_admin and loopback
        return cls(bool(parse_auth(settings.auth)), frozenset(settings.admin_names()), local, loopback)

    def username(self, request: Any) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    def is_admin(self, request: Any) -> bool:
        if self.auth_enabled:
            return self.username(request) in self.admins
        return self.local_admin

    def require_admin(self, request: Any) -> None:
        if not self.is_admin(request):
            raise AccessError(self.read_only_reason())

    def read_only_reason(self) -> str:
        if self.auth_enabled:
            return "只有管理员账号可以上传、删除或重建索引；当前为只读。"
        if self.loopback:
            return "未启用登录（RESILIENCE_AUTH），知识库为只读；如何在本机开启上传见下方说明。"
        return "未启用登录（RESILIENCE_AUTH），知识库为只读；请启用登录并以管理员账号上传或删除。"


def check_upload(path: Path, max_mb: float) -> str | None:
    """Why an uploaded file is refused (type or size), or None when it may be indexed."""
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return f"不支持的文件类型 {suffix or '（无扩展名）'}；只接受 {'、'.join(ALLOWED_SUFFIXES)}"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"无法读取上传的文件：{exc.strerror or exc}"
    if size > max_mb * 1024 * 1024:
        return f"文件过大（{size / 1024 / 1024:.1f} MiB），上限为 {max_mb:g} MiB"
    if size == 0:
        return "文件是空的"
    return None


def safe_upload_name(name: str) -> str:
    """The base name of an uploaded file, without folders or leading dots (never escapes the folder)."""
    base = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    return base or "upload"
