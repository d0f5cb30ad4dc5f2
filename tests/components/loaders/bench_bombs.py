"""Figures for hostile files near every loader cap: ``python -m tests.components.loaders.bench_bombs``.

Each case runs in a fresh process so the figures are its own: the parent's peak RSS growth
(VmHWM, reset before the load), the sandbox child's peak RSS (``RUSAGE_CHILDREN``, which also
covers a child that was killed) and the wall time of ``DocumentLoader.load``. Default
settings unless a case says otherwise. Prints a Markdown table; no thresholds are asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.components.loaders import bombs
from tests.components.loaders.bombs import MIB

Builder = Callable[[Path], Path]


def _docx(inflated: int, **kwargs: object) -> Builder:
    return lambda folder: bombs.write_docx_bomb(folder / "bomb.docx", inflated, **kwargs)  # type: ignore[arg-type]


def _docx_text(text_mb: float) -> Builder:
    def build(folder: Path) -> Path:
        line = "第一条 台风来临前，居民应当检查门窗、清理阳台杂物，远离广告牌和临时建筑。"
        count = int(text_mb * MIB / (len(line.encode()) + 1))
        paragraph = f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>"
        return bombs.write_docx_with_document_xml(folder / "wordy.docx", bombs.body_xml(paragraph * count))

    return build


def _html(depth: int) -> Builder:
    return lambda folder: bombs.write_html_bomb(folder / "nested.html", depth)


def _text(size_mb: float, encoding: str, suffix: str = ".txt") -> Builder:
    def build(folder: Path) -> Path:
        line = "第一条 台风来临前，居民应当检查门窗、清理阳台杂物。\n\n"
        path = folder / f"long-{encoding}{suffix}"
        path.write_bytes((line * int(size_mb * MIB / len(line.encode(encoding)))).encode(encoding))
        return path

    return build


def _yaml_laughs(folder: Path) -> Path:
    levels = ["a: &a [" + ",".join(["防汛"] * 9) + "]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    path = folder / "laughs.md"
    path.write_text("---\n" + "\n".join(levels) + "\nhazards: *i\n---\n# 标题\n\n正文。\n", encoding="utf-8")
    return path


#: name -> (what it is, builder, MB really inflated when the header lies)
CASES: dict[str, tuple[str, Builder, int | None]] = {
    "docx-near-cap": ("DOCX, Word-like padding, honest header", _docx(195 * MIB), None),
    "docx-near-cap-dense": (
        "DOCX, `<w:p/>` padding (worst case per byte), honest",
        _docx(195 * MIB, unit=bombs.EMPTY_PARAGRAPH),
        None,
    ),
    "docx-over-cap": ("DOCX just over the cap, honest", _docx(205 * MIB), None),
    "docx-issue-950": ("DOCX like the issue's (950 MB XML), honest", _docx(950 * MIB), None),
    "docx-liar-small": ("DOCX, lying header", _docx(950 * MIB, declared=1 * MIB), 950),
    "docx-liar-near-cap": (
        "DOCX, lying header + forged CRC, declared just under the cap",
        _docx(950 * MIB, declared=195 * MIB, forge_crc=True),
        950,
    ),
    "docx-text-near-cap": ("DOCX whose text is just under the 50 MB text cap", _docx_text(49), None),
    "docx-text-over-cap": ("DOCX whose text is over the 50 MB text cap", _docx_text(55), None),
    "html-near-file-cap": ("HTML, 4.5 M nested `<div>` (file cap 50 MB)", _html(4_500_000), None),
    "txt-utf8-near-file-cap": ("UTF-8 text near the file cap", _text(49, "utf-8"), None),
    "txt-gbk-near-file-cap": ("GBK text near the file cap", _text(49, "gbk"), None),
    "txt-utf16le-nobom-near-file-cap": (
        "UTF-16 LE text without BOM near the file cap",
        _text(49, "utf-16-le"),
        None,
    ),
    "md-yaml-alias-bomb": ("Markdown, YAML alias bomb (10^9 nodes)", _yaml_laughs, None),
}


def _sizes(path: Path, inflated_mb: int | None) -> str:
    """``declared / inflated`` XML MB for a DOCX, the file size otherwise."""
    if path.suffix != ".docx":
        return "–"
    import zipfile

    with zipfile.ZipFile(path) as archive:
        declared = sum(
            info.file_size for info in archive.infolist() if info.filename.endswith((".xml", ".rels"))
        )
    declared_mb = declared / MIB
    return f"{declared_mb:.0f} / {inflated_mb if inflated_mb is not None else round(declared_mb)} MB"


def run_case(name: str, folder: Path) -> dict[str, object]:
    """Build the case's file, load it once, return the figures (in this process)."""
    from assistant.components.loaders import DocumentLoader
    from assistant.domain import DocumentLoadError
    from assistant.settings import load_settings

    _, build, inflated_mb = CASES[name]
    path = build(folder)
    sizes = _sizes(path, inflated_mb)
    loader = DocumentLoader(load_settings(index_dir=folder / "index", data_dir=folder / "data"))
    started = time.perf_counter()
    outcome, growth = bombs.peak_rss_growth_mb(lambda: loader.load(path))
    wall = time.perf_counter() - started
    if isinstance(outcome, DocumentLoadError):
        result = outcome.reason
    elif isinstance(outcome, BaseException):
        result = f"{type(outcome).__name__}: {outcome}"
    else:
        notes = f"; {'; '.join(outcome.notes)}" if outcome.notes else ""
        result = f"loaded, {len(outcome.text):,} chars{notes}"
    from assistant.components.loaders.sandbox import shutdown_workers

    shutdown_workers()  # a serving child is counted in RUSAGE_CHILDREN once it has ended
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "case": name,
        "file_mb": round(path.stat().st_size / MIB, 2),
        "sizes": sizes,
        "result": result,
        "child_peak_mb": round(child_mb),
        "parent_growth_mb": round(growth, 1),
        "wall_s": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=sorted(CASES), help="run one case here (internal)")
    parser.add_argument("--only", nargs="*", default=None, help="cases to run (default: all)")
    args = parser.parse_args(argv)
    if args.case:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(run_case(args.case, Path(folder)), ensure_ascii=False))
        return 0
    print(
        "| case | file MB | declared / inflated | result | child peak RSS MB "
        "| parent VmHWM growth MB | wall s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.only or list(CASES):
        done = subprocess.run(
            [sys.executable, "-m", "tests.components.loaders.bench_bombs", "--case", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            print(f"| {name} | | | bench failed: {done.stderr.strip().splitlines()[-1:]} | | | |")
            continue
        row = json.loads(done.stdout)
        print(
            f"| {CASES[name][0]} | {row['file_mb']} | {row['sizes']} | {row['result']} | "
            f"{row['child_peak_mb']} | {row['parent_growth_mb']} | {row['wall_s']} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
