"""The zip side of DOCX reading: refuse bombs before inflating, and count what really inflates.

A DOCX is a zip whose XML parts can be made to inflate a thousandfold (a 2.9 MB file whose
``word/document.xml`` is 950 MB). Two checks keep that harmless:

* before anything is inflated, the sizes the archive *declares* for its XML parts must stay
  under an absolute cap (``docx_max_xml_mb``), and all members under ``20 ×`` the file cap;
* while a part is inflated, the bytes that actually come out are counted, so a header that
  lies about the size is caught after at most its declared size (zipfile alone would trust
  the header and only notice at the end, or never if the CRC was forged too).

Parts are handed out as chunks for a streaming XML parser; nothing holds a whole part.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.components.loaders.sandbox import ParseFailure

MIB = 1024 * 1024
_CHUNK = 256 * 1024
_NOT_A_ZIP = "DOCX 文件损坏或已加密，无法读取（若是旧版 .doc 改名而来，请用 Word 另存为 .docx）"


@dataclass(frozen=True)
class DocxLimits:
    """Byte caps for one DOCX (all absolute; set from the settings by the loader)."""

    max_xml_bytes: int  # all XML parts together, declared and actually inflated
    max_inflated_bytes: int  # all members together, declared
    max_text_bytes: int  # extracted text, UTF-8


def is_xml_part(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


class DocxArchive:
    """An opened DOCX whose declared sizes passed the caps; :meth:`chunks` inflates one part."""

    def __init__(self, path: str, limits: DocxLimits) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ParseFailure(_NOT_A_ZIP) from exc
        self._names = {info.filename for info in infos}
        if "word/document.xml" not in self._names:
            self._zip.close()
            raise ParseFailure("DOCX 文件损坏：缺少正文部分 word/document.xml")
        declared_xml = sum(info.file_size for info in infos if is_xml_part(info.filename))
        if declared_xml > limits.max_xml_bytes:
            self._zip.close()
            raise ParseFailure(
                f"DOCX 的 XML 内容解压后共 {_mb(declared_xml)} MB，超过上限 {_mb(limits.max_xml_bytes)} MB"
                "，疑似压缩炸弹"
            )
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_inflated_bytes:
            self._zip.close()
            raise ParseFailure(f"DOCX 解压后内容过大（{declared // MIB} MB），疑似异常文件")
        self._budget = limits.max_xml_bytes

    def __enter__(self) -> DocxArchive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        return name in self._names

    def chunks(self, name: str) -> Iterator[bytes]:
        """The inflated bytes of part ``name``, counted against its declared size and the cap."""
        info = self._zip.getinfo(name)
        declared = info.file_size
        # zipfile stops at the declared size; let it run one byte past the cap instead so a
        # lying header shows up as "more bytes than declared" rather than as a CRC puzzle.
        probe = copy.copy(info)
        probe.file_size = self._budget + 1
        inflated = 0
        try:
            with self._zip.open(probe) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    inflated += len(chunk)
                    if inflated > declared:
                        raise ParseFailure(
                            f"DOCX 文件异常：{name} 实际解压出的内容超过压缩包声明的 {_mb(declared)} MB"
                            "（文件头与内容不符），疑似压缩炸弹"
                        )
                    self._budget -= len(chunk)
                    if self._budget < 0:  # only reachable if declared sizes were inconsistent
                        raise ParseFailure("DOCX 的 XML 内容解压后超过上限，疑似压缩炸弹")
                    yield chunk
        except zipfile.BadZipFile as exc:
            if "CRC" in str(exc):
                raise ParseFailure(
                    f"DOCX 文件损坏：{name} 解压后的内容与压缩包记录的大小或校验值不符"
                ) from exc
            raise ParseFailure(f"DOCX 文件损坏：{name} 无法解压") from exc
        except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
            raise ParseFailure("DOCX 文件已加密，无法读取") from exc
        except NotImplementedError as exc:  # an unsupported compression method
            raise ParseFailure(f"DOCX 文件损坏：{name} 使用了不支持的压缩方式") from exc
        except (zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise ParseFailure(f"DOCX 文件损坏：{name} 无法解压") from exc
        if inflated < declared:
            raise ParseFailure(f"DOCX 文件损坏：{name} 解压后的内容与压缩包记录的大小或校验值不符")

    def read_small(self, name: str, limit: int = 4 * MIB) -> bytes:
        """A small part (relationships) whole; a larger one is refused rather than read."""
        if self._zip.getinfo(name).file_size > limit:
            raise ParseFailure(f"DOCX 文件异常：{name} 过大")
        return b"".join(self.chunks(name))


def _mb(size: int) -> str:
    return f"{size / MIB:.0f}" if size >= 10 * MIB else f"{size / MIB:.1f}".rstrip("0").rstrip(".")
