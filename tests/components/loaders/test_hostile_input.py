"""Hostile and awkward input for every format: bombs stay in the sandbox child, reasons are clear.

The bombs are real files built here (see :mod:`bombs`): DOCX packages whose document.xml
inflates to hundreds of MB from under a MB, with honest and with lying zip headers, and an
HTML file of millions of nested elements. Besides the reason, the tests check that the
parent's peak RSS (VmHWM, reset before each load) does not grow by anything like the bomb.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.components.chunking import DocumentChunker
from assistant.components.loaders import DocumentLoader, sandbox
from assistant.components.loaders.sandbox import child_failure_reason
from assistant.domain import DocumentLoadError, LoadedDocument
from assistant.settings import Settings
from tests.components.loaders import bombs
from tests.components.loaders.bombs import MIB, SENTENCE

# The parent reads the file for its hash; past that, a few MB of bookkeeping at most.
PARENT_SLACK_MB = 16


def _reason(settings: Settings, path: Path) -> str:
    with pytest.raises(DocumentLoadError) as caught:
        DocumentLoader(settings).load(path)
    assert caught.value.path == path
    return caught.value.reason


def _load_measured(settings: Settings, path: Path) -> tuple[LoadedDocument | BaseException, float]:
    return bombs.peak_rss_growth_mb(lambda: DocumentLoader(settings).load(path))


@pytest.fixture(scope="module")
def bomb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bombs")


# --- DOCX: absolute cap on the declared sizes ---------------------------------------------
def test_docx_bomb_over_the_cap_is_refused_before_inflating(settings: Settings, bomb_dir: Path) -> None:
    path = bombs.write_docx_bomb(bomb_dir / "over-cap.docx", 300 * MIB)
    assert path.stat().st_size < 2 * MIB  # a small file…
    outcome, growth = _load_measured(settings, path)
    assert isinstance(outcome, DocumentLoadError)
    assert outcome.reason == "DOCX 的 XML 内容解压后共 300 MB，超过上限 200 MB，疑似压缩炸弹"
    assert growth < PARENT_SLACK_MB  # …that never inflates in the parent


def test_docx_cap_is_a_setting(settings: Settings, tmp_path: Path) -> None:
    capped = settings.model_copy(update={"docx_max_xml_mb": 8})
    under = bombs.write_docx_bomb(tmp_path / "under.docx", 7 * MIB)
    over = bombs.write_docx_bomb(tmp_path / "over.docx", 9 * MIB)
    assert DocumentLoader(capped).load(under).text == SENTENCE
    assert _reason(capped, over) == "DOCX 的 XML 内容解压后共 9 MB，超过上限 8 MB，疑似压缩炸弹"


# --- DOCX: lying headers are caught by counting what really inflates -----------------------
@pytest.mark.parametrize("forge_crc", [False, True], ids=["true-crc", "forged-crc"])
def test_docx_bomb_with_lying_header_is_caught_while_inflating(
    settings: Settings, bomb_dir: Path, forge_crc: bool
) -> None:
    path = bombs.write_docx_bomb(
        bomb_dir / f"liar-{forge_crc}.docx", 400 * MIB, declared=1 * MIB, forge_crc=forge_crc
    )
    outcome, growth = _load_measured(settings, path)
    assert isinstance(outcome, DocumentLoadError)
    assert outcome.reason == (
        "DOCX 文件异常：word/document.xml 实际解压出的内容超过压缩包声明的 1 MB"
        "（文件头与内容不符），疑似压缩炸弹"
    )
    assert growth < PARENT_SLACK_MB


def test_docx_member_shorter_than_declared_is_corrupt(settings: Settings, tmp_path: Path) -> None:
    path = bombs.write_docx_bomb(tmp_path / "short.docx", 2 * MIB, declared=3 * MIB)
    assert (
        _reason(settings, path)
        == "DOCX 文件损坏：word/document.xml 解压后的内容与压缩包记录的大小或校验值不符"
    )


@pytest.mark.slow
def test_docx_bomb_just_under_the_cap_is_read_in_flat_memory(settings: Settings, bomb_dir: Path) -> None:
    path = bombs.write_docx_bomb(bomb_dir / "near-cap.docx", 195 * MIB)
    outcome, growth = _load_measured(settings, path)
    assert isinstance(outcome, LoadedDocument), outcome
    assert outcome.text == SENTENCE
    assert growth < PARENT_SLACK_MB


def test_docx_parse_timeout_kills_the_child(settings: Settings, bomb_dir: Path) -> None:
    path = bombs.write_docx_bomb(bomb_dir / "slow.docx", 150 * MIB, unit=bombs.EMPTY_PARAGRAPH)
    hurried = settings.model_copy(update={"pdf_timeout_s": 1.0})
    sandbox.shutdown_workers()  # children serve many files: start from none
    outcome, growth = _load_measured(hurried, path)
    assert isinstance(outcome, DocumentLoadError)
    assert outcome.reason == "DOCX 解析超时（1 秒）"
    assert growth < PARENT_SLACK_MB
    assert _live_workers() == []  # killed, not left running


def _live_workers() -> list[int]:
    """Pids of this process's live sandbox children."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if b"assistant.components.loaders.worker" in command and int(parent) == os.getpid() and state != "Z":
            found.append(int(entry.name))
    return found


def test_docx_memory_limit_names_the_limit(settings: Settings, tmp_path: Path) -> None:
    # One 40 MB attribute: expat and Python must hold it whole, which 64 MB cannot.
    body = '<w:p><w:r><w:t x="' + "a" * (40 * MIB) + '">正文</w:t></w:r></w:p>'
    path = bombs.write_docx_with_document_xml(tmp_path / "fat.docx", bombs.body_xml(body))
    starved = settings.model_copy(update={"pdf_memory_mb": 64})
    assert _reason(starved, path) == "DOCX 解析超过内存上限 64 MB"
    assert DocumentLoader(settings).load(path).text == "正文"


def test_docx_extracted_text_is_capped_like_a_text_file(settings: Settings, tmp_path: Path) -> None:
    small = settings.model_copy(update={"max_file_mb": 1})
    body = "<w:p><w:r><w:t>" + "防汛" * (200 * 1024) + "</w:t></w:r></w:p>"  # 1.2 MB of UTF-8
    path = bombs.write_docx_with_document_xml(tmp_path / "wordy.docx", bombs.body_xml(body))
    assert path.stat().st_size < MIB
    assert _reason(small, path) == "DOCX 中的文字超过上限 1 MB"


def test_docx_entity_expansion_is_refused(settings: Settings, tmp_path: Path) -> None:
    # A billion laughs: each entity is ten of the one before, so &i; would be 10^9 characters.
    entities = '<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
    )
    path = bombs.write_docx_with_document_xml(tmp_path / "laughs.docx", xml)
    assert _reason(settings, path) == (
        "DOCX 文件异常：word/document.xml 含有文档类型（DTD）或实体声明，已拒绝读取"
    )


def test_docx_absurd_nesting_is_refused(settings: Settings, tmp_path: Path) -> None:
    body = "<w:p><w:r><w:t>x</w:t></w:r></w:p>" + "<w:sdt>" * 300 + "</w:sdt>" * 300
    path = bombs.write_docx_with_document_xml(tmp_path / "deep.docx", bombs.body_xml(body))
    assert _reason(settings, path) == "DOCX 文件结构异常：word/document.xml 的 XML 嵌套超过 256 层"


def test_docx_with_broken_xml_names_the_part(settings: Settings, tmp_path: Path) -> None:
    path = bombs.write_docx_with_document_xml(tmp_path / "broken.docx", bombs.body_xml("<w:p>")[:-5])
    assert _reason(settings, path).startswith("DOCX 文件损坏：word/document.xml 不是有效的 XML（")


# --- HTML ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def html_bomb(bomb_dir: Path) -> Path:
    return bombs.write_html_bomb(bomb_dir / "nested.html", 2_000_000)


@pytest.mark.slow
def test_html_bomb_within_the_size_cap_is_parsed_in_the_child(settings: Settings, html_bomb: Path) -> None:
    size_mb = html_bomb.stat().st_size / MIB
    assert 15 < size_mb < settings.max_file_mb
    outcome, growth = _load_measured(settings, html_bomb)
    assert isinstance(outcome, LoadedDocument), outcome
    assert outcome.text == SENTENCE and outcome.front_matter["title"] == "嵌套炸弹"
    # In-process parsing took ~5x the file size; here the parent only reads the bytes once.
    assert growth < size_mb + PARENT_SLACK_MB


def test_html_bomb_hits_the_timeout(settings: Settings, html_bomb: Path) -> None:
    hurried = settings.model_copy(update={"pdf_timeout_s": 1.0})
    assert _reason(hurried, html_bomb) == "HTML 解析超时（1 秒）"


def test_html_bomb_hits_the_memory_limit(settings: Settings, html_bomb: Path) -> None:
    starved = settings.model_copy(update={"pdf_memory_mb": 80})
    assert _reason(starved, html_bomb) == "HTML 解析超过内存上限 80 MB"


def test_unclosed_html_title_does_not_swallow_the_page(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "untitled.html"
    page = "<html><head><title>防汛须知" + "<b>积水</b>" * 300_000 + "</head><body><p>远离积水。</p></body>"
    path.write_text(page, encoding="utf-8")
    document = DocumentLoader(settings).load(path)
    assert document.text == "远离积水。"
    assert document.front_matter["title"].startswith("防汛须知积水积水")
    assert len(document.front_matter["title"]) <= 500


# --- text and Markdown --------------------------------------------------------------------
def test_yaml_alias_bomb_in_front_matter_is_kept_as_text(settings: Settings, tmp_path: Path) -> None:
    levels = ["a: &a [" + ",".join(["防汛"] * 9) + "]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    path = tmp_path / "laughs.md"
    path.write_text("---\n" + "\n".join(levels) + "\nhazards: *i\n---\n# 标题\n\n正文。\n", encoding="utf-8")
    document, growth = _load_measured(settings, path)
    assert isinstance(document, LoadedDocument), document
    assert document.front_matter == {}
    assert "文件开头的 YAML 元数据过于复杂（嵌套或引用展开过多），已按正文保留" in document.notes
    assert document.text.endswith("# 标题\n\n正文。")
    assert growth < PARENT_SLACK_MB


@pytest.mark.parametrize(
    ("suffix", "reason"), [(".txt", "文本解析超过内存上限 48 MB"), (".md", "Markdown 解析超过内存上限 48 MB")]
)
def test_text_decoding_runs_under_the_memory_limit(
    settings: Settings, bomb_dir: Path, suffix: str, reason: str
) -> None:
    path = bomb_dir / f"long{suffix}"
    path.write_text("第一条 台风来临前应当检查门窗。\n\n" * 600_000, encoding="utf-8")  # 27 MB
    starved = settings.model_copy(update={"pdf_memory_mb": 48})
    assert _reason(starved, path) == reason
    assert DocumentLoader(settings).load(path).text.startswith("第一条 台风来临前应当检查门窗。")


def test_front_matter_dates_survive_the_child(settings: Settings, tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "dated.md"
    path.write_text("---\nupdated: 2024-05-01\ntitle: 须知\n---\n正文。\n", encoding="utf-8")
    document = DocumentLoader(settings).load(path)
    assert document.front_matter == {"updated": dt.date(2024, 5, 1), "title": "须知"}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_one_line_file_is_indexed(settings: Settings, tmp_path: Path, encoding: str, suffix: str) -> None:
    path = tmp_path / f"notice{suffix}"
    path.write_bytes(f"{SENTENCE}\n".encode(encoding))
    document = DocumentLoader(settings).load(path)
    assert document.text == SENTENCE
    chunks = DocumentChunker(settings).chunk(document)
    assert [chunk.text for chunk in chunks] == [SENTENCE]
    assert chunks[0].metadata["title"] == SENTENCE
    assert chunks[0].metadata["file"] == path.name


ARTICLES = "第一条 台风红色预警发布后，居民应当留在室内，关好门窗。\n\n第二条 发现险情，请拨打110或１１９。"


@pytest.mark.parametrize(("encoding", "name"), [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")])
@pytest.mark.parametrize(
    "text", [ARTICLES, SENTENCE, "Typhoon warning: stay indoors.\n"], ids=["mixed", "cjk", "ascii"]
)
def test_utf16_without_bom_is_decoded(
    settings: Settings, tmp_path: Path, encoding: str, name: str, text: str
) -> None:
    path = tmp_path / "notepad.txt"
    data = text.encode(encoding)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    path.write_bytes(data)
    document = DocumentLoader(settings).load(path)
    assert document.text == text.strip()
    assert document.notes == [f"文本编码为 {name}（无 BOM），已转换为 UTF-8"]


def test_utf16_without_bom_of_uncertain_order_says_so(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(ARTICLES.encode("utf-16-le")[:-1])  # an odd length: no UTF-16 order fits
    reason = _reason(settings, path)
    assert "不支持无 BOM 的 UTF-16" in reason and "二进制" not in reason


# --- what the parent says when the child dies -----------------------------------------------
def _crashed(code: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)


def test_crash_reasons_name_what_happened() -> None:
    segv = _crashed("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert child_failure_reason("DOCX", segv.returncode, segv.stderr, 2048) == (
        "DOCX 解析进程崩溃（SIGSEGV），文件可能已损坏或结构异常"
    )
    killed = _crashed("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert child_failure_reason("HTML", killed.returncode, killed.stderr, 2048) == (
        "HTML 解析进程被强制终止（SIGKILL），可能超过内存上限 2048 MB 或系统内存不足"
    )
    oom = _crashed(
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (2**28, 2**28)); raise MemoryError"
    )
    assert child_failure_reason("文本", oom.returncode, oom.stderr, 256) == "文本解析超过内存上限 256 MB"
    odd = _crashed("import sys; print('boom', file=sys.stderr); sys.exit(3)")
    assert child_failure_reason("PDF", odd.returncode, odd.stderr, 2048) == "PDF 解析失败：boom"


def _stopped_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stops: int) -> tuple[Path, Path]:
    log = tmp_path / "runs.log"
    sandbox.shutdown_workers()  # a child kept from an earlier test would not be stopped
    monkeypatch.setattr(sandbox, "WORKER_MODULE", "tests.components.loaders.stopped_worker")
    monkeypatch.setenv("STOPPED_WORKER_LOG", str(log))
    monkeypatch.setenv("STOPPED_WORKER_STOPS", str(stops))
    path = tmp_path / "须知.txt"
    path.write_text("防汛须知\n\n暴雨时远离地下空间。\n", encoding="utf-8")
    return path, log


def test_a_parser_stopped_from_outside_is_tried_once_more(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, log = _stopped_from_outside(monkeypatch, tmp_path, stops=1)
    document = DocumentLoader(settings).load(path)
    assert "暴雨时远离地下空间。" in document.text
    assert log.read_text(encoding="utf-8").splitlines() == ["run", "run"]


def test_a_parser_stopped_twice_says_it_was_not_the_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, log = _stopped_from_outside(monkeypatch, tmp_path, stops=5)
    with pytest.raises(DocumentLoadError) as failure:
        DocumentLoader(settings).load(path)
    assert failure.value.reason == "文本解析进程被外部终止（SIGTERM），与文件内容无关，请稍后重试"
    assert len(log.read_text(encoding="utf-8").splitlines()) == sandbox.EXTERNAL_STOP_ATTEMPTS
