"""Generators for the real files the loader tests read (PDF via reportlab, DOCX via python-docx).

The text is a made-up local regulation written for these tests, shaped like the real ones:
a title, chapters, articles ``第X条`` and numbered items.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

TITLE = "示例市防台风应急条例"
RUNNING_HEADER = "示例市人大常委会公报\u3000示例市防台风应急条例"

# (kind, text): kind is "title", "chapter" or "para".
REGULATION: list[tuple[str, str]] = [
    ("title", TITLE),
    ("chapter", "第一章\u3000总则"),
    (
        "para",
        "第一条 为了规范本市台风防御和应急处置工作，减少台风"
        "造成的人员伤亡和财产损失，结合本市实际，制定本条例。",
    ),
    ("para", "第二条 本条例适用于本市行政区域内台风的监测预警、防御准备、应急响应和灾后恢复等活动。"),
    ("para", "第三条 台风防御工作坚持人民至上、预防为主、分级负责、属地管理的原则。"),
    ("para", "各级人民政府应当将台风防御所需经费纳入本级财政预算。"),
    ("chapter", "第二章\u3000预警与响应"),
    (
        "para",
        "第四条 气象部门应当及时发布台风预警信号。预警信号分为蓝色、黄色、橙色和红色四级，红色为最高级别。",
    ),
    (
        "para",
        "第五条 发布台风红色预警信号后，街道办事处和乡镇人民政府应当组织"
        "居民委员会、村民委员会逐户通知危险区域内的居民转移，并为转移人员"
        "提供临时安置场所、饮用水、食品和必要的医疗服务，转移期间不得擅自返回危险区域。",
    ),
    ("para", "第六条 有关单位在台风期间应当履行下列职责："),
    ("para", "（一）加固户外广告牌、脚手架等高空设施；"),
    ("para", "（二）清理排水管道，保持雨水排放畅通；"),
    ("para", "（三）安排人员值守，发现险情立即报告。"),
    ("chapter", "第三章\u3000附则"),
    ("para", "第七条 本条例自发布之日起施行。"),
]

CHARS_PER_LINE = 30


def paragraphs() -> list[str]:
    """The article paragraphs as whole strings (what a loader must give back)."""
    return [text for kind, text in REGULATION if kind == "para"]


def wrapped_lines(width: int = CHARS_PER_LINE) -> list[str]:
    """The regulation hard-wrapped every ``width`` characters, as a typesetter would."""
    lines: list[str] = []
    for kind, text in REGULATION:
        if kind != "para":
            lines.append(text)
            continue
        lines.extend(text[i : i + width] for i in range(0, len(text), width))
    return lines


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def write_pdf(
    path: Path,
    pages: Sequence[Sequence[str]],
    header: str | None = RUNNING_HEADER,
    footer: str | None = "— {n} —",
) -> Path:
    """A text PDF with the given lines per page, a running header and a page-number footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _register_font()
    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for number, lines in enumerate(pages, start=1):
        pdf.setFont(font, 9)
        if header:
            pdf.drawCentredString(width / 2, height - 40, header)
        if footer:
            pdf.drawCentredString(width / 2, 30, footer.format(n=number))
        pdf.setFont(font, 12)
        y = height - 80
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return path


def write_regulation_pdf(path: Path, lines_per_page: int) -> tuple[Path, int]:
    """The wrapped regulation paginated every ``lines_per_page`` lines; returns (path, pages)."""
    lines = wrapped_lines()
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    return write_pdf(path, pages), len(pages)


def write_image_pdf(path: Path, pages: int = 1) -> Path:
    """An image-only PDF (blank white 'scans'), i.e. no text layer at all."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (620, 877), "white")
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return path


def write_docx(path: Path) -> Path:
    """A Word file using English, Chinese-named and derived heading styles plus a table."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    chinese_heading = document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)
    chinese_heading.base_style = document.styles["Normal"]
    derived = document.styles.add_style("条例章标题", WD_STYLE_TYPE.PARAGRAPH)
    derived.base_style = document.styles["Heading 1"]

    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph("第一章 总则", style="Heading 1")
    document.add_paragraph(paragraphs()[0])
    document.add_paragraph("第一节 一般规定", style="标题 2")
    document.add_paragraph(paragraphs()[1])
    document.add_paragraph("")  # empty paragraphs must not produce blank noise
    document.add_paragraph("第二章 预警与响应", style="条例章标题")
    document.add_paragraph(paragraphs()[3])
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "预警级别"
    table.cell(0, 1).text = "应对措施"
    table.cell(1, 0).text = "红色"
    table.cell(1, 1).text = "停课停工，人员转移"
    document.add_paragraph(paragraphs()[4])
    document.save(str(path))
    return path
