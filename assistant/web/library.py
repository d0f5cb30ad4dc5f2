"""知识库 tab: what the index holds, and (admins only) upload, delete and rebuild.

Uploads are copied into ``data_dir/uploads`` (never into ``corpus/``, which belongs to the
bundled pack) and indexed with :meth:`IngestService.ingest`; the per-file results, failures
with their reasons included, are shown as they come back. Deleting removes the document
from the index and its uploaded copy; documents of the bundled pack cannot be deleted here
(the next start would index them again). All three write actions share one concurrency
group so they never run at once, and each checks admin rights on the server.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.services.document_status import status_label, stored_status
from assistant.services.input_limits import MAX_UPLOAD_FILES
from assistant.services.uploads import StagedUpload, staging_dir
from assistant.web import present
from assistant.web.access import ALLOWED_SUFFIXES, AccessError, check_upload, safe_upload_name
from assistant.web.context import WebContext
from assistant.web.library_help import library_hint
from assistant.web.places import PlaceResolver

logger = logging.getLogger(__name__)

WRITE_GROUP = "index-write"
#: Gradio injects a progress tracker where a parameter defaults to a ``gr.Progress`` instance.
_PROGRESS = gr.Progress()
DOC_COLUMNS = ["标题", "类型", "地域", "状态", "施行日期", "片段数", "版本日期", "文件", "入库时间"]
RESULT_COLUMNS = ["文件", "结果", "片段数", "原因"]
STATUS_LABELS = {
    "added": "已添加",
    "updated": "已更新",
    "unchanged": "未变化",
    "removed": "已删除",
    "failed": "失败",
    "skipped": "已跳过",
}


def uploads_dir(ctx: WebContext) -> Path:
    return ctx.assistant.settings.data_dir / "uploads"


def _is_bundled(ctx: WebContext, path: str) -> bool:
    return Path(path).is_relative_to(ctx.assistant.settings.corpus_dir.resolve())


def document_rows(ctx: WebContext) -> list[list[Any]]:
    """One row per indexed file, from the manifest (cheap: no scan of the vector store)."""
    entries = ctx.assistant.manifest.entries()
    places = ctx.places or PlaceResolver(ctx.assistant.settings.corpus_dir)
    rows = []
    for path, entry in sorted(entries.items(), key=lambda kv: (kv[1].doc_type, kv[1].title)):
        rows.append(
            [
                entry.title or Path(path).stem,
                ctx.doc_types.get(entry.doc_type, entry.doc_type),
                places.place(path, entry.jurisdiction, entries),
                status_label(stored_status(entry)),
                entry.effective_date,
                entry.chunk_count,
                entry.version_date,
                Path(path).name,
                _local_time(entry.ingested_at),
            ]
        )
    return rows


def deletable(ctx: WebContext) -> list[tuple[str, str]]:
    """(label, manifest path) of documents an admin may delete: everything outside ``corpus/``."""
    entries = ctx.assistant.manifest.entries()
    return [
        (f"{entry.title or Path(path).stem}（{Path(path).name}）", path)
        for path, entry in sorted(entries.items())
        if not _is_bundled(ctx, path)
    ]


def _local_time(stamp: str) -> str:
    """The manifest's UTC time stamp in the server's local time, to the minute."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _result_rows(results: list[Any]) -> list[list[Any]]:
    return [[Path(r.file).name, STATUS_LABELS.get(r.status, r.status), r.chunks, r.reason] for r in results]


def upload(ctx: WebContext, files: list[str] | None, request: Any, progress: Any = None) -> list[list[Any]]:
    """Copy the allowed files into the uploads folder and index them; one result row per file."""
    from assistant.domain import FileResult

    ctx.policy.require_admin(request)
    if not files:
        raise gr.Error("请先选择要上传的文件。")
    folder = uploads_dir(ctx)
    staging = staging_dir(folder)
    staging.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    refused: list[FileResult] = []
    accepted: list[StagedUpload] = []
    names: set[str] = set()
    for given in files[:MAX_UPLOAD_FILES]:
        source = Path(given)
        name = safe_upload_name(source.name)
        reason = check_upload(source, ctx.assistant.settings.upload_max_mb)
        if reason is None and Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
            reason = f"不支持的文件类型；只接受 {'、'.join(ALLOWED_SUFFIXES)}"
        if reason is None and name in names:
            # Two files for one kept copy: staging the second over the first would leave the
            # first's backup behind, and the next start would "recover" the old version.
            reason = f"本次上传中已有同名文件 {name}，此文件未处理（请分开上传或改名）"
        if reason:
            refused.append(FileResult(name, "failed", reason=reason))
            continue
        names.add(name)
        accepted.append(StagedUpload.put(source, folder / name, staging))
    for extra in files[MAX_UPLOAD_FILES:]:
        limit = MAX_UPLOAD_FILES
        refused.append(
            FileResult(Path(extra).name, "failed", reason=f"一次最多上传 {limit} 个文件，此文件未处理")
        )

    def report(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress((done, total), desc=f"正在索引 {Path(name).name}")

    if progress is not None:
        progress(0, desc="正在读取和切分文件…")
    results = list(refused)
    if accepted:
        try:
            ingest = ctx.assistant.ingest_service.ingest([item.target for item in accepted], progress=report)
        except BaseException:
            for item in accepted:
                item.roll_back()
            raise
        by_key = {str(item.target.resolve()): item for item in accepted}
        for result in ingest.files:
            staged = by_key.get(str(Path(result.file).resolve()))
            if staged is None:
                continue
            if result.status == "failed":
                result.reason += staged.roll_back()
            else:
                staged.commit()
        results.extend(ingest.files)
    return _result_rows(results)


def delete(ctx: WebContext, path: str | None, request: Any) -> str:
    """Remove one non-bundled document from the index, and its uploaded copy."""
    ctx.policy.require_admin(request)
    if not path:
        raise gr.Error("请先选择要删除的文档。")
    if _is_bundled(ctx, path):
        raise gr.Error("内置知识包的文档不能在此删除。")
    results = ctx.assistant.ingest_service.remove(path)
    if not results:
        return present.error_html("该文档已不在索引中。")
    file = Path(path)
    if file.is_relative_to(uploads_dir(ctx).resolve()):
        file.unlink(missing_ok=True)
    return f'<p class="ok">已删除：{present.escape_text(file.name)}（{results[0].chunks} 个片段）</p>'


def rebuild(ctx: WebContext, request: Any, progress: Any = None) -> list[list[Any]]:
    """Re-scan the bundled pack and the uploads: add what changed, forget files that are gone."""
    ctx.policy.require_admin(request)
    folders = [ctx.assistant.settings.corpus_dir]
    if uploads_dir(ctx).is_dir():
        folders.append(uploads_dir(ctx))

    def report(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress((done, total), desc=f"正在索引 {Path(name).name}")

    result = ctx.assistant.ingest_service.ingest(folders, prune=True, progress=report)
    changed = [r for r in result.files if r.status != "unchanged"]
    return _result_rows(changed) or [["（全部）", "未变化", result.total_chunks, ""]]


def build(ctx: WebContext, demo: gr.Blocks) -> None:
    """The 知识库 tab; the document list and admin controls fill in when a page loads."""
    with gr.Tab("知识库", id="library"):
        status = gr.HTML(elem_id="library-status")
        docs = gr.Dataframe(
            headers=DOC_COLUMNS, label="索引中的文档", elem_id="documents", interactive=False, max_height=420
        )
        refresh = gr.Button("刷新列表", size="sm")
        with gr.Group(visible=False, elem_id="admin-panel") as admin:
            gr.HTML(
                f'<p class="hint">上传文件（{"、".join(ALLOWED_SUFFIXES)}；单个文件不超过 '
                f"{ctx.assistant.settings.upload_max_mb:g} MiB）。同名文件会被更新。</p>"
            )
            files = gr.File(
                label="选择文件",
                file_count="multiple",
                file_types=list(ALLOWED_SUFFIXES),
                elem_id="upload-files",
            )
            upload_btn = gr.Button("上传并索引", variant="primary", elem_id="upload-btn")
            results = gr.Dataframe(
                headers=RESULT_COLUMNS, label="处理结果", elem_id="upload-results", interactive=False
            )
            with gr.Row():
                target = gr.Dropdown(
                    label="删除文档（内置知识包除外）", choices=[], elem_id="delete-target", scale=4
                )
                delete_btn = gr.Button("删除", variant="stop", elem_id="delete-btn", scale=1)
            rebuild_btn = gr.Button("重新扫描并更新索引", elem_id="rebuild-btn")
            message = gr.HTML(elem_id="library-message")

        def load(request: gr.Request) -> tuple[Any, ...]:
            admin_ok = ctx.policy.is_admin(request)
            user = ctx.policy.username(request)
            who = f"当前用户：{present.escape_text(user)}。" if user else ""
            note = "你可以上传、删除文档和更新索引。" if admin_ok else ctx.policy.read_only_reason()
            return (
                f'<p class="hint">{who}{present.escape_text(note)}</p>{library_hint(ctx, admin_ok)}',
                gr.Dataframe(value=document_rows(ctx)),
                gr.Group(visible=admin_ok),
                gr.Dropdown(choices=deletable(ctx) if admin_ok else [], value=None),
            )

        outputs = [status, docs, admin, target]

        def guarded(fn: Any) -> Any:
            """Turn an AccessError into a visible message instead of a stack trace."""

            def run(*args: Any, **kwargs: Any) -> Any:
                try:
                    return fn(*args, **kwargs)
                except AccessError as exc:
                    raise gr.Error(str(exc)) from exc

            return run

        def on_upload(
            chosen: list[str] | None, request: gr.Request, progress: gr.Progress = _PROGRESS
        ) -> Any:
            return guarded(upload)(ctx, chosen, request, progress)

        def on_delete(path: str | None, request: gr.Request) -> Any:
            return guarded(delete)(ctx, path, request)

        def on_rebuild(request: gr.Request, progress: gr.Progress = _PROGRESS) -> Any:
            return guarded(rebuild)(ctx, request, progress)

        gr.on([demo.load, refresh.click], load, None, outputs, api_visibility="private")
        upload_btn.click(
            on_upload,
            files,
            results,
            api_visibility="private",
            concurrency_id=WRITE_GROUP,
            concurrency_limit=1,
        ).then(load, None, outputs, api_visibility="private")
        delete_btn.click(
            on_delete,
            target,
            message,
            api_visibility="private",
            concurrency_id=WRITE_GROUP,
            concurrency_limit=1,
        ).then(load, None, outputs, api_visibility="private")
        rebuild_btn.click(
            on_rebuild,
            None,
            results,
            api_visibility="private",
            concurrency_id=WRITE_GROUP,
            concurrency_limit=1,
        ).then(load, None, outputs, api_visibility="private")
