"""Login parsing, admin rights and the upload rules, checked on the server side."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.factory import build_assistant
from assistant.settings import load_settings
from assistant.web import library
from assistant.web.access import AccessError, AccessPolicy, check_upload, parse_auth, safe_upload_name
from assistant.web.context import WebContext


def test_parse_auth() -> None:
    assert parse_auth(None) == [] and parse_auth("  ") == []
    assert parse_auth("admin:a:b, viewer:pw") == [("admin", "a:b"), ("viewer", "pw")]
    with pytest.raises(ValueError, match="用户名:密码"):
        parse_auth("admin")


def _policy(**overrides: object) -> AccessPolicy:
    return AccessPolicy.from_settings(load_settings(**overrides))


def test_with_auth_only_listed_admins_may_write() -> None:
    policy = _policy(auth="admin:pw,boss:pw,viewer:pw", admin_users="admin,boss", local_admin=True)
    assert policy.is_admin(SimpleNamespace(username="boss"))
    assert not policy.is_admin(SimpleNamespace(username="viewer"))
    assert not policy.is_admin(None)
    with pytest.raises(AccessError, match="管理员"):
        policy.require_admin(SimpleNamespace(username="viewer"))


def test_without_auth_local_admin_needs_loopback() -> None:
    assert not _policy().is_admin(None)  # default: read-only
    assert _policy(local_admin=True, host="127.0.0.1").is_admin(None)
    assert _policy(local_admin=True, host="localhost").is_admin(None)
    assert not _policy(local_admin=True, host="0.0.0.0").is_admin(None)


def test_check_upload_limits_type_and_size(tmp_path: Path) -> None:
    ok = tmp_path / "通知.md"
    ok.write_text("# 通知\n\n内容", encoding="utf-8")
    assert check_upload(ok, 1) is None
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert "不支持的文件类型 .exe" in (check_upload(exe, 1) or "")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 3 * 1024 * 1024)
    assert "文件过大" in (check_upload(big, 2) or "")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert check_upload(empty, 1) == "文件是空的"


def test_safe_upload_name_never_leaves_the_folder() -> None:
    assert safe_upload_name("../../etc/passwd") == "passwd"
    assert safe_upload_name("..\\..\\x.md") == "x.md"
    assert safe_upload_name(".env") == "env"
    assert safe_upload_name("..") == "upload"


def test_library_handlers_refuse_non_admins_before_touching_anything(tmp_path: Path) -> None:
    settings = load_settings(
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        auth="admin:pw,viewer:pw",
        admin_users="admin",
    )
    ctx = WebContext.create(build_assistant(settings))
    doc = tmp_path / "a.md"
    doc.write_text("# 标题\n\n正文", encoding="utf-8")
    viewer = SimpleNamespace(username="viewer")
    with pytest.raises(AccessError):
        library.upload(ctx, [str(doc)], viewer)
    with pytest.raises(AccessError):
        library.delete(ctx, str(doc), viewer)
    with pytest.raises(AccessError):
        library.rebuild(ctx, viewer)
    assert not (tmp_path / "data" / "uploads").exists() and not (tmp_path / "index").exists()


def test_upload_refuses_disallowed_files_with_reasons(tmp_path: Path) -> None:
    settings = load_settings(
        index_dir=tmp_path / "index", data_dir=tmp_path / "data", auth="admin:pw", upload_max_mb=0.001
    )
    ctx = WebContext.create(build_assistant(settings))
    exe = tmp_path / "run.exe"
    exe.write_bytes(b"MZ")
    big = tmp_path / "big.md"
    big.write_text("很长" * 2000, encoding="utf-8")
    rows = library.upload(ctx, [str(exe), str(big)], SimpleNamespace(username="admin"))
    assert [row[:2] for row in rows] == [["run.exe", "失败"], ["big.md", "失败"]]
    assert "不支持的文件类型" in rows[0][3] and "文件过大" in rows[1][3]
    assert not any((tmp_path / "data" / "uploads").iterdir())  # nothing refused is kept
