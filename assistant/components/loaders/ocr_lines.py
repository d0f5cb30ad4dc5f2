"""Turn OCR text boxes into reading-order lines.

rapidocr returns one box per detected text run, roughly but not strictly in reading order;
a scanned line may be split into several boxes and a slightly rotated page tilts every box.
Grouping boxes whose vertical centres lie within half a line height, then ordering each group
left to right, rebuilds the printed lines that the PDF layout code then joins into paragraphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.components.loaders.normalize import is_cjk_like

# Boxes below this recognition confidence are mostly noise (stains, stamps, bleed-through).
MIN_SCORE = 0.5


def boxes_to_lines(results: Sequence[Sequence[Any]] | None) -> list[str]:
    """``results`` is rapidocr's list of ``(box, text, score)``; ``box`` has four (x, y) corners."""
    boxes: list[tuple[float, float, float, str]] = []  # (centre y, left x, height, text)
    for item in results or []:
        box, text, score = item[0], str(item[1]).strip(), float(item[2])
        if not text or score < MIN_SCORE:
            continue
        ys = [float(point[1]) for point in box]
        xs = [float(point[0]) for point in box]
        boxes.append(((min(ys) + max(ys)) / 2, min(xs), max(1.0, max(ys) - min(ys)), text))
    boxes.sort(key=lambda b: (b[0], b[1]))

    groups: list[list[tuple[float, float, float, str]]] = []
    for box in boxes:
        if groups:
            last = groups[-1]
            centre = sum(b[0] for b in last) / len(last)
            height = sum(b[2] for b in last) / len(last)
            if abs(box[0] - centre) <= 0.5 * min(height, box[2]):
                last.append(box)
                continue
        groups.append([box])

    lines: list[str] = []
    for group in groups:
        group.sort(key=lambda b: b[1])
        line = group[0][3]
        for box in group[1:]:
            joint = "" if is_cjk_like(line[-1]) or is_cjk_like(box[3][0]) else " "
            line += joint + box[3]
        lines.append(line)
    return lines
