"""Radar chart: Chinese labels with a real CJK font when installed; never a crash without one."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from matplotlib.ft2font import FT2Font

from assistant.services.assess import CjkFontMissingWarning, find_cjk_font, render_radar

DIMS: list[tuple[str, str, float | None]] = [
    ("resist", "抵御力", 80.0),
    ("adapt", "适应力", 55.5),
    ("recover", "复原力", None),
    ("transform", "转型力", 30.0),
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_labels_render_with_a_real_cjk_glyph_font(tmp_path: Path) -> None:
    font = find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (make browser installs fonts-wqy-microhei)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn "Glyph … missing from font(s)"
        chart = render_radar(tmp_path / "r.png", DIMS, title="部门安全韧性建设自评")
    assert chart.font == font
    charmap = FT2Font(str(font)).get_charmap()
    drawn = "".join(chart.labels)
    assert "抵御力" in drawn and "N/A" in drawn
    assert all(ord(ch) in charmap for ch in drawn if not ch.isspace())
    assert chart.path.read_bytes()[:8] == PNG_MAGIC


def test_without_a_cjk_font_the_chart_falls_back_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(CjkFontMissingWarning):
        chart = render_radar(tmp_path / "r.png", DIMS, title="部门安全韧性建设自评", cjk_font=None)
    assert chart.font is None
    assert [label.split("\n")[0] for label in chart.labels] == ["resist", "adapt", "recover", "transform"]
    assert chart.path.read_bytes()[:8] == PNG_MAGIC


def test_a_font_without_chinese_glyphs_is_not_used(tmp_path: Path) -> None:
    from matplotlib import font_manager

    latin = Path(font_manager.findfont("DejaVu Sans"))
    with pytest.warns(CjkFontMissingWarning):
        chart = render_radar(tmp_path / "r.png", DIMS, cjk_font=latin)
    assert chart.font is None
