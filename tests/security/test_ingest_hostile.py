"""Hostile files given to ingest: links out of the folder, twins that fail, re-uploads that fail.

Real index (Chroma in a temp dir, the real embedder), real files on disk, the real upload
handler of the web app. Each test failed before the fix it names.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.factory import Assistant, build_assistant
from assistant.services.uploads import recover_staged_uploads, staging_dir
from assistant.settings import load_settings
from assistant.web import library
from assistant.web.context import WebContext

GOOD = """# 志愿者招募办法

## 第一章 总则

第一条 街道应当在汛期前招募应急志愿者，登记其联系方式和特长。

第二条 志愿者参加抢险救援前，应当接受不少于两小时的安全培训。

第三条 居委会应当为参加巡查的志愿者配备雨衣、手电和反光背心。
"""


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    settings = load_settings(
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        auth="admin:pw",
    )
    return build_assistant(settings)


def by_name(report: object) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for result in report.files:  # type: ignore[attr-defined]
        rows.setdefault(Path(result.file).name, []).append(result.status)
    return rows


def test_symlink_out_of_the_folder_is_skipped_and_reported(assistant: Assistant, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("# 密码\n\nroot:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD, encoding="utf-8")
    os.symlink(outside, docs / "passwd.md")
    os.symlink(outside, docs / "passwd2.md")
    os.symlink(tmp_path, docs / "up")  # a linked folder leading outside too
    os.symlink(docs / "good.md", docs / "alias.md")  # inside the folder: the same file twice
    report = assistant.ingest_service.ingest([docs])
    rows = by_name(report)
    assert rows["passwd.md"] == ["skipped"] and rows["passwd2.md"] == ["skipped"]
    assert rows["up"] == ["skipped"]
    assert sorted(rows["alias.md"] + rows["good.md"]) == ["added", "skipped"]  # each file once
    reasons = {Path(r.file).name: r.reason for r in report.files}
    assert "之外" in reasons["passwd.md"]
    texts = " ".join(chunk.text for chunk in assistant.store.get_chunks())
    assert "root:x:0:0" not in texts
    assert len(report.files) == 5


def test_failed_twin_does_not_hide_its_good_copy(assistant: Assistant, tmp_path: Path) -> None:
    """Identical bytes as x.docx (fails) and x.md: x.md is indexed, not reported unchanged."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "x.docx").write_text(GOOD, encoding="utf-8")
    (docs / "x.md").write_text(GOOD, encoding="utf-8")
    for _ in range(2):  # run after run
        report = assistant.ingest_service.ingest([docs])
        rows = by_name(report)
        assert rows["x.docx"] == ["failed"]
        assert rows["x.md"][0] in ("added", "unchanged")
        assert len(assistant.manifest.entries()) == 1
        assert assistant.store.count() > 0


def test_two_empty_files_both_fail_honestly(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.docx").write_bytes(b"")
    (docs / "empty.md").write_bytes(b"")
    report = assistant.ingest_service.ingest([docs])
    assert by_name(report) == {"empty.docx": ["failed"], "empty.md": ["failed"]}
    assert not any("相同" in r.reason for r in report.files)
    assert assistant.manifest.entries() == {}


def test_identical_twins_in_one_run_are_reported_by_their_first_copy(
    assistant: Assistant, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(GOOD, encoding="utf-8")
    (docs / "b.md").write_text(GOOD, encoding="utf-8")
    report = assistant.ingest_service.ingest([docs])
    assert by_name(report) == {"a.md": ["added"], "b.md": ["skipped"]}
    (docs / "c.docx").write_bytes(b"PK not a docx")
    (docs / "d.docx").write_bytes(b"PK not a docx")
    report = assistant.ingest_service.ingest([docs])
    rows = by_name(report)
    assert rows["c.docx"] == ["failed"] and rows["d.docx"] == ["failed"]
    assert "c.docx 未能索引" in next(r.reason for r in report.files if r.file.endswith("d.docx"))


def _ctx(assistant: Assistant) -> WebContext:
    return WebContext.create(assistant)


ADMIN = SimpleNamespace(username="admin")


def test_failed_reupload_keeps_the_file_and_its_chunks(assistant: Assistant, tmp_path: Path) -> None:
    """good volunteer.md → random bytes under the same name → re-scan: nothing lost."""
    ctx = _ctx(assistant)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "volunteer.md"
    good.write_text(GOOD, encoding="utf-8")
    rows = library.upload(ctx, [str(good)], ADMIN)
    assert rows[0][1] == "已添加"
    kept = library.uploads_dir(ctx) / "volunteer.md"
    chunks = assistant.store.count()
    bad = incoming / "sub" / "volunteer.md"
    bad.parent.mkdir()
    bad.write_bytes(secrets.token_bytes(4096) + b"\x00" * 64)
    rows = library.upload(ctx, [str(bad)], ADMIN)
    assert rows[0][1] == "失败" and "原文件已恢复" in rows[0][3] and "保留" in rows[0][3]
    assert kept.read_text(encoding="utf-8") == GOOD
    assert assistant.store.count() == chunks
    rebuilt = library.rebuild(ctx, ADMIN)
    assert not any(row[1] == "已删除" for row in rebuilt)
    assert assistant.store.count() == chunks
    assert not any(staging_dir(library.uploads_dir(ctx)).iterdir())


def test_two_files_of_one_name_in_one_upload_keep_the_first_and_leave_no_backup(
    assistant: Assistant, tmp_path: Path
) -> None:
    """A left-over backup would be "recovered" at the next start, undoing a reported upload."""
    from assistant.services.uploads import recover_staged_uploads

    ctx = _ctx(assistant)
    for version, folder in (("版本一", "a"), ("版本二", "b"), ("版本三", "c")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plan.md").write_text(
            f"# 预案\n\n## 说明\n\n这是{version}的应急预案内容。\n", encoding="utf-8"
        )
    assert library.upload(ctx, [str(tmp_path / "a" / "plan.md")], ADMIN)[0][1] == "已添加"
    rows = library.upload(ctx, [str(tmp_path / "b" / "plan.md"), str(tmp_path / "c" / "plan.md")], ADMIN)
    assert len(rows) == 2  # one row per file sent
    assert sorted(row[1] for row in rows) == ["失败", "已更新"]
    assert any("同名文件" in row[3] for row in rows)
    kept = library.uploads_dir(ctx) / "plan.md"
    assert "版本二" in kept.read_text(encoding="utf-8")
    assert not any(staging_dir(library.uploads_dir(ctx)).iterdir())
    assert recover_staged_uploads(library.uploads_dir(ctx)) == []  # a restart changes nothing


def test_failed_first_upload_leaves_nothing(assistant: Assistant, tmp_path: Path) -> None:
    ctx = _ctx(assistant)
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + secrets.token_bytes(2048))
    rows = library.upload(ctx, [str(bad)], ADMIN)
    assert rows[0][1] == "失败" and "文件未保存" in rows[0][3]
    assert not (library.uploads_dir(ctx) / "broken.pdf").exists()


def test_crash_mid_upload_is_repaired_at_the_next_start(tmp_path: Path) -> None:
    uploads = tmp_path / "data" / "uploads"
    staging = staging_dir(uploads)
    staging.mkdir(parents=True)
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "plan.md").write_text("未验证的新内容", encoding="utf-8")
    (staging / "abc.old.plan.md").write_text(GOOD, encoding="utf-8")
    (staging / "abc.new.other.md").write_text("半截", encoding="utf-8")
    assert recover_staged_uploads(uploads) == ["plan.md"]
    assert (uploads / "plan.md").read_text(encoding="utf-8") == GOOD
    assert not any(staging.iterdir())


def test_upload_count_is_bounded(assistant: Assistant, tmp_path: Path) -> None:
    from assistant.services.input_limits import MAX_UPLOAD_FILES

    ctx = _ctx(assistant)
    files = []
    for n in range(MAX_UPLOAD_FILES + 3):
        path = tmp_path / f"doc{n}.md"
        path.write_text(GOOD.replace("志愿者招募办法", f"志愿者招募办法{n}"), encoding="utf-8")
        files.append(str(path))
    rows = library.upload(ctx, files, ADMIN)
    assert len(rows) == MAX_UPLOAD_FILES + 3
    assert sum("一次最多上传" in row[3] for row in rows) == 3
