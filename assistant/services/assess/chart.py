"""The radar chart of dimension scores, with Chinese labels when a CJK font is available.

Matplotlib's bundled DejaVu fonts have no Chinese glyphs: labels would render as empty
boxes. We look for an installed CJK font (Debian's ``fonts-wqy-microhei``, which
``make browser`` installs, or Noto/Source Han CJK, SimHei…) and check that it really covers
the label characters. Matplotlib's font list is a cache built once, so a font installed
later would be missed; we therefore also scan the system font folders directly.
Without a usable font the chart still renders — with the dimension ids (ASCII) as
labels and a warning — because a missing font must never break an assessment report.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Font files (or family names) worth trying, best first.
_CJK_NAME_RE = re.compile(
    r"wqy|wenquanyi|noto\s*sans\s*(mono\s*)?cjk|noto\s*serif\s*cjk|notosanscjk|notoserifcjk|"
    r"source\s*han|sourcehan|simhei|simsun|msyh|microsoft\s*yahei|droid\s*sans\s*fallback|"
    r"ar\s*pl|uming|ukai|pingfang|heiti|hiragino\s*sans\s*gb",
    re.IGNORECASE,
)
_PROBE = "抵御适应复原转型力"


class CjkFontMissingWarning(UserWarning):
    """No font with Chinese glyphs was found; the chart falls back to ASCII labels."""


def _covers(path: str, text: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(char) in charmap for char in text)


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> Path | None:
    """The first installed font file that has glyphs for common Chinese characters."""
    from matplotlib import font_manager

    candidates: list[str] = []
    for entry in font_manager.fontManager.ttflist:
        if _CJK_NAME_RE.search(entry.name) or _CJK_NAME_RE.search(Path(entry.fname).name):
            candidates.append(entry.fname)
    for fname in sorted(font_manager.findSystemFonts(fontext="ttf")):
        if _CJK_NAME_RE.search(Path(fname).name):
            candidates.append(fname)
    seen: set[str] = set()
    for fname in candidates:
        if fname in seen:
            continue
        seen.add(fname)
        if _covers(fname, _PROBE):
            return Path(fname)
    return None


@dataclass(frozen=True)
class ChartInfo:
    path: Path
    labels: tuple[str, ...]  # as drawn
    font: Path | None  # the CJK font used, None when falling back


def render_radar(
    path: Path,
    dimensions: list[tuple[str, str, float | None]],
    title: str = "",
    cjk_font: Path | str | None = "auto",
) -> ChartInfo:
    """Draw dimension scores (id, title, score 0–100 or None) as a radar PNG at ``path``.

    ``cjk_font`` is "auto" (search), a font file, or None (force the ASCII fallback).
    Dimensions without a score are drawn at the centre and marked "N/A" in their label.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = find_cjk_font() if cjk_font == "auto" else (Path(cjk_font) if cjk_font else None)
    if font is not None and not _covers(str(font), "".join(t for _, t, _ in dimensions)):
        font = None
    if font is None:
        message = "未找到含中文字形的字体，雷达图改用维度 id 作标签（可安装 fonts-wqy-microhei）"
        warnings.warn(message, CjkFontMissingWarning, stacklevel=2)
        logger.warning(message)
        names = [dim_id for dim_id, _, _ in dimensions]
        title = ""
    else:
        names = [dim_title for _, dim_title, _ in dimensions]
    labels = tuple(
        f"{name}\n{score:.0f}" if score is not None else f"{name}\nN/A"
        for name, (_, _, score) in zip(names, dimensions, strict=True)
    )
    values = [score if score is not None else 0.0 for _, _, score in dimensions]
    props = FontProperties(fname=str(font), size=11) if font else FontProperties(size=10)

    count = len(dimensions)
    angles = [2 * math.pi * i / count for i in range(count)]
    fig = Figure(figsize=(6, 6), dpi=110)
    FigureCanvasAgg(fig)
    ax: Any = fig.add_subplot(projection="polar")  # PolarAxes; typed as Axes by matplotlib
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_yticklabels(["20", "40", "60", "80", "100"], fontsize=8, color="#777777")
    ax.set_xticks(angles)
    ax.set_xticklabels(labels, fontproperties=props)
    closed_angles, closed_values = [*angles, angles[0]], [*values, values[0]]
    ax.plot(closed_angles, closed_values, color="#c0392b", linewidth=2)
    ax.fill(closed_angles, closed_values, color="#c0392b", alpha=0.25)
    if title:
        ax.set_title(title, fontproperties=FontProperties(fname=str(font), size=13), pad=24)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return ChartInfo(path=path, labels=labels, font=font)


def render_trend(
    path: Path, points: list[Any], title: str = "", cjk_font: Path | str | None = "auto"
) -> Path:
    """A line chart of the total (bold) and each dimension over an organisation's assessments.

    ``points`` are :class:`~assistant.services.assess.compare.TrendPoint`; the x axis is the
    assessment number (#id) so equal dates never collapse. Falls back to ASCII ids like the radar.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    names = [title, "总分"] + [dim_title for p in points for _, dim_title, _ in p.dimensions]
    font = find_cjk_font() if cjk_font == "auto" else (Path(cjk_font) if cjk_font else None)
    if font is not None and not _covers(str(font), "".join(names)):
        font = None
    if font is None:
        warnings.warn("未找到含中文字形的字体，趋势图改用维度 id 作标签", CjkFontMissingWarning, stacklevel=2)
        title = ""
    props = FontProperties(fname=str(font), size=9) if font else FontProperties(size=9)
    fig = Figure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax: Any = fig.add_subplot()
    xs = list(range(len(points)))
    ax.plot(
        xs,
        [p.total for p in points],
        color="#c0392b",
        linewidth=3,
        marker="o",
        label="总分" if font else "total",
    )
    dim_ids = [dim_id for dim_id, _, _ in points[-1].dimensions]
    for dim_id in dim_ids:
        ys = [next((s for d, _, s in p.dimensions if d == dim_id), None) for p in points]
        label = next(t for d, t, _ in points[-1].dimensions if d == dim_id) if font else dim_id
        ax.plot(
            xs, [y if y is not None else float("nan") for y in ys], linewidth=1.2, marker=".", label=label
        )
    ax.set_xticks(xs)
    ax.set_xticklabels([f"#{p.id}\n{p.assessed_at[:10]}" for p in points], fontsize=8)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(prop=props, loc="lower right", fontsize=8)
    if title:
        ax.set_title(title, fontproperties=FontProperties(fname=str(font), size=12))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
