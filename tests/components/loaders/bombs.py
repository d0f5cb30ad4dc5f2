"""Builders of hostile files for the sandbox tests and the bomb benchmark (real files, on disk).

* DOCX bombs: a valid Word package whose ``word/document.xml`` holds one real paragraph and
  then inflates to hundreds of MB from well under a MB, optionally with a central directory
  that lies about the size (and even a CRC forged to match the lie).
* An HTML bomb: millions of nested elements around one paragraph, within the file-size cap.
* Helpers that measure a process's peak RSS (``VmHWM``) around a call.

Kept apart from the tests so ``python -m tests.components.loaders.bench_bombs`` builds exactly
the same files.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

MIB = 1024 * 1024
SENTENCE = "台风来了要关好门窗，远离广告牌。"

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
#: Padding units: the element-dense worst case for a streaming parser, and Word-like markup.
EMPTY_PARAGRAPH = "<w:p/>"
STYLED_EMPTY_PARAGRAPH = (
    '<w:p><w:pPr><w:rPr><w:rFonts w:ascii="SimSun" w:hAnsi="SimSun" w:eastAsia="SimSun"/>'
    "</w:rPr></w:pPr></w:p>"
)


def document_xml_chunks(
    inflated: int, unit: str = STYLED_EMPTY_PARAGRAPH, text: str = SENTENCE
) -> Iterator[bytes]:
    """``word/document.xml`` of exactly ``inflated`` bytes, in chunks: one paragraph, then padding."""
    head = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body>'
        f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
    ).encode()
    tail = b"</w:body></w:document>"
    raw_unit = unit.encode()
    room = inflated - len(head) - len(tail)
    count, rest = divmod(room, len(raw_unit))
    yield head
    block = raw_unit * 8192
    for _ in range(count // 8192):
        yield block
    yield raw_unit * (count % 8192)
    yield b" " * rest  # whitespace between elements: the exact size, still valid XML
    yield tail


def write_docx_bomb(
    path: Path,
    inflated: int,
    *,
    declared: int | None = None,
    forge_crc: bool = False,
    unit: str = STYLED_EMPTY_PARAGRAPH,
) -> Path:
    """A DOCX whose document.xml inflates to ``inflated`` bytes.

    ``declared`` makes the central directory claim that size instead (a lying header);
    ``forge_crc`` also replaces the CRC by that of the first ``declared`` bytes, so a reader
    that trusts the header finds a "valid" member.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        info = zipfile.ZipInfo("word/document.xml", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        prefix_crc, seen = 0, 0
        with archive.open(info, "w", force_zip64=inflated > zipfile.ZIP64_LIMIT) as member:
            for chunk in document_xml_chunks(inflated, unit):
                if declared is not None and seen < declared:
                    prefix_crc = zlib.crc32(chunk[: declared - seen], prefix_crc)
                seen += len(chunk)
                member.write(chunk)
        if declared is not None:
            # The central directory is written from the ZipInfo at close(): make it lie.
            info.file_size = declared
            if forge_crc:
                info.CRC = prefix_crc
    if declared is not None:
        _patch_local_header(path, info, declared, prefix_crc if forge_crc else None)
    return path


def _patch_local_header(path: Path, info: zipfile.ZipInfo, declared: int, crc: int | None) -> None:
    """Make the local file header tell the same lie as the central directory."""
    with path.open("r+b") as handle:
        handle.seek(info.header_offset)
        header = bytearray(handle.read(30))
        assert header[:4] == b"PK\x03\x04"
        if crc is not None:
            header[14:18] = struct.pack("<I", crc)
        header[22:26] = struct.pack("<I", min(declared, 0xFFFFFFFF))
        handle.seek(info.header_offset)
        handle.write(header)


def write_docx_with_document_xml(path: Path, document_xml: bytes | str) -> Path:
    """A minimal DOCX around the given ``word/document.xml``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/document.xml", document_xml)
    return path


def body_xml(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>{body}</w:body></w:document>'


def write_html_bomb(path: Path, depth: int, text: str = SENTENCE) -> Path:
    """``depth`` nested ``<div>`` around one paragraph (about 11 bytes per level)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("<!doctype html><html><head><title>嵌套炸弹</title></head><body>")
        for _ in range(depth // 10000):
            handle.write("<div>" * 10000)
        handle.write("<div>" * (depth % 10000))
        handle.write(f"<p>{text}</p>")
        for _ in range(depth // 10000):
            handle.write("</div>" * 10000)
        handle.write("</div>" * (depth % 10000))
        handle.write("</body></html>")
    return path


# --- memory ---------------------------------------------------------------------------------
T = TypeVar("T")


def _status_kb(field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert found, f"{field} missing from /proc/self/status"
    return int(found.group(1))


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux: ``5`` into clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_growth_mb(call: Callable[[], T]) -> tuple[T | BaseException, float]:
    """Run ``call``; return its result (or the exception it raised) and how far VmHWM rose, MiB.

    The peak is reset first so what earlier tests allocated cannot hide the growth.
    """
    reset_peak_rss()
    before = _status_kb("VmRSS")
    try:
        outcome: T | BaseException = call()
    except Exception as exc:
        outcome = exc
    return outcome, max(0, _status_kb("VmHWM") - before) / 1024
