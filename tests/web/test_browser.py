"""End to end in Debian's headless Chromium, driven by Playwright (no browser is downloaded).

Covers what a person does: ask and read a cited answer (with hostile document text shown as
text), see a refusal, fill a checklist and get the score and chart, upload a document as
admin and find it answered, and see the library read-only as a non-admin. Screenshots go to
``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.services.assess import load_checklist
from tests.web.conftest import ADMIN, VIEWER, RunningApp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
#: (article, the markup it carries) of the hostile document in tests/web/conftest.py.
HOSTILE_FRAGMENTS = [
    ("第一条", "<script>window.__xss=1</script>"),
    ("第二条", '<img src=x onerror="window.__xss=2">'),
    ("第三条", "![巡查照片](http://127.0.0.1:9/leak.png)，并接受[核查](javascript:alert(1))"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("chromium is missing: run `make browser` (installs Debian's chromium and a CJK font)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_app(browser: Any, web_app: RunningApp, login: tuple[str, str]) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(web_app.url + "/")
    page.get_by_label(re.compile("username|用户名", re.I)).fill(login[0])
    page.get_by_label(re.compile("password|密码", re.I)).fill(login[1])
    page.get_by_role("button", name=re.compile("login|登录", re.I)).click()
    page.wait_for_selector("#question textarea")
    return page


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the locator of the finished reply."""
    before = page.locator("#chatbot .reply:not(.streaming)").count()
    page.fill("#question textarea", question)
    page.click("#send")
    reply = page.locator("#chatbot .reply:not(.streaming)").nth(before)
    reply.wait_for()
    return reply


def test_chat_cites_sources_and_shows_hostile_text_as_text(
    browser: Any, web_app: RunningApp, artifacts: Path
) -> None:
    page = open_app(browser, web_app, VIEWER)
    banner = page.locator("#emergency")
    assert "119" in banner.inner_text() and "120" in banner.inner_text() and "110" in banner.inner_text()
    chat = page.locator("#chatbot")
    assert "煤气味" in chat.inner_text()  # resident examples on an empty chat
    page.get_by_label("社区工作人员").check()
    page.wait_for_function("document.querySelector('#chatbot').innerText.includes('居委会')")
    page.screenshot(path=str(artifacts / "chat-empty.png"), full_page=True)

    reply = ask(page, "窨井盖巡查记录要保存多久？")
    sources = reply.locator(".src")
    assert sources.count() >= 1
    assert "《窨井盖巡查试行办法》" in reply.inner_text()
    assert reply.locator(".src-passage mark").count() >= 1  # the question's words are highlighted
    reply.locator("details.src").evaluate_all("ds => ds.forEach(d => { d.open = true; })")  # folded
    text = reply.locator(".sources").inner_text()
    shown = [fragment for article, fragment in HOSTILE_FRAGMENTS if article in text]
    assert shown, text
    for fragment in shown:  # each cited hostile article shows its markup literally, as text
        assert fragment in text
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chatbot img[src*='127.0.0.1:9'], #chatbot img[src='x']").count() == 0
    assert page.locator("#chatbot a[href^='javascript']").count() == 0
    page.screenshot(path=str(artifacts / "chat-hostile-document.png"), full_page=True)

    reply = ask(page, "台风蓝色预警时居委会要做什么？")
    assert reply.locator(".src").count() >= 1
    follow = ask(page, "那红色预警呢？")
    assert follow.locator(".src").count() >= 1 and "红色" in follow.inner_text()
    refused = ask(page, "明天上证指数会涨吗？")
    assert refused.locator(".refusal").count() == 1
    page.screenshot(path=str(artifacts / "chat-follow-up-and-refusal.png"), full_page=True)
    page.close()


def _fill_checklist(page: Any, checklist: Any, low_first: bool) -> None:
    """Lowest option for the first item of each dimension (or none), the highest for the rest."""
    for dim in checklist.dimensions:
        for i, item in enumerate(dim.items):
            best = max(range(len(item.options)), key=lambda k: item.options[k].score)
            worst = min(range(len(item.options)), key=lambda k: item.options[k].score)
            choice = worst if (i == 0 and low_first) else best
            page.locator(f"#item-{item.id} label").nth(choice).click()


def test_checklist_form_scores_and_draws_the_chart(
    browser: Any, web_app: RunningApp, artifacts: Path
) -> None:
    page = open_app(browser, web_app, VIEWER)
    page.get_by_role("tab", name="自评").click()
    checklist = load_checklist(web_app.corpus / "checklists" / "community-disaster-readiness.yaml")
    first = checklist.dimensions[0].items[0]
    assert "依据" in page.locator(f"#item-{first.id}").inner_text()  # the basis is shown under the item
    page.fill("#org textarea, #org input", "浏览器测试居委会")
    page.locator("#submit-community-disaster-readiness").click()
    page.wait_for_selector("#assess-result .error-box")
    assert "未作答" in page.locator("#assess-result").inner_text()

    _fill_checklist(page, checklist, low_first=True)
    page.locator("#submit-community-disaster-readiness").click()
    page.wait_for_selector("#assess-score")
    score = float(page.locator("#assess-score").inner_text())
    assert 0 < score < 100
    assert page.locator("#assess-level").inner_text() in {"优秀", "良好", "合格", "待改进"}
    assert page.locator("#assess-weak .weak").count() >= 1
    page.locator("#radar").scroll_into_view_if_needed()
    page.wait_for_function(
        "(() => { const i = document.querySelector('#radar img');"
        " return i && i.complete && i.naturalWidth > 100; })()"
    )
    files = page.locator("#report-files").inner_text()
    assert ".docx" in files and ".md" in files and ".json" in files
    page.locator("#assess-weak details").first.evaluate("d => d.open = true")
    page.locator("#assess-result").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "assess-first.png"))

    _fill_checklist(page, checklist, low_first=False)
    page.locator("#submit-community-disaster-readiness").click()
    page.wait_for_selector("#assess-result .change")  # the change since the first submission
    better = float(page.locator("#assess-score").inner_text())
    assert better > score
    rows = page.locator("#assess-history [role=grid]").get_attribute("aria-rowcount")
    assert int(rows or 0) - 1 >= 2  # both assessments of this organisation (header excluded)
    page.locator("#assess-result").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "assess-second.png"))
    page.close()


def _choose_checklist(page: Any, title: str) -> None:
    page.locator("#checklist input").click()
    page.get_by_role("option", name=re.compile(re.escape(title))).click()


def test_scorecard_form_has_gates_rubrics_marks_missing_and_takes_an_excel_sheet(
    browser: Any, web_app: RunningApp, artifacts: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from assistant.services.assess.xlsx_io import write_answers_template

    checklist = load_checklist(web_app.corpus / "checklists" / "district-resilience-scorecard.yaml")
    assert checklist.gates and any(item.has_rubric for _, item in checklist.items())
    page = open_app(browser, web_app, ADMIN)
    page.get_by_role("tab", name="自评").click()
    _choose_checklist(page, checklist.title)
    form = f"#form-{checklist.id}"
    page.wait_for_selector(f"{form} #gate-{checklist.gates[0].id}")
    rubric_item = next(item for _, item in checklist.items() if item.has_rubric)
    assert "评分说明" in page.locator(f"#item-{rubric_item.id}").inner_text()

    # answer the gates and the first dimension only: every other item is marked, none answered is
    for gate in checklist.gates:
        page.locator(f"#gate-{gate.id} label").first.click()
    for item in checklist.dimensions[0].items:
        page.locator(f"#item-{item.id} label").first.click()
    page.locator(f"#submit-{checklist.id}").click()
    page.wait_for_selector("#assess-result .error-box")
    unanswered = checklist.item_count() - len(checklist.dimensions[0].items)
    assert f"还有 {unanswered} 项未作答" in page.locator("#assess-result").inner_text()
    page.wait_for_function(f"document.querySelectorAll('{form} .missing').length === {unanswered}")
    assert page.locator(f"#item-{checklist.dimensions[0].items[0].id}.missing").count() == 0
    page.locator(f"{form} .missing").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "assess-missing-marked.png"))

    # the Excel route: a blank sheet for the chosen checklist, filled with evidence, uploaded
    page.locator("#assess-excel").get_by_text("用 Excel 填写").click()
    page.locator("#assess-template-button").click()
    page.wait_for_selector("#assess-template a")
    assert f"{checklist.id}-答题表.xlsx" in page.locator("#assess-template").inner_text().replace("\n", "")
    filled = write_answers_template(checklist, tmp_path / "答题表.xlsx")
    workbook = load_workbook(filled)
    sheet = workbook["答案"]
    for row in range(2, sheet.max_row + 1):
        kind = sheet.cell(row, 1).value
        sheet.cell(row, 5).value = "否" if kind == "门槛" and row == 2 else None
        if kind == "门槛" and row != 2:
            sheet.cell(row, 5).value = "是"
        if kind == "条目":
            item = next(i for _, i in checklist.items() if i.id == sheet.cell(row, 2).value)
            sheet.cell(row, 5).value = max(item.options, key=lambda o: o.score).label
            sheet.cell(row, 7).value = "见区应急局年度演练记录"
            sheet.cell(row, 8).value = "演练记录.pdf"
    workbook.save(filled)
    page.locator("#assess-upload input[type=file]").set_input_files(str(filled))
    page.locator("#assess-upload-button").click()
    page.wait_for_selector("#assess-score")
    assert float(page.locator("#assess-score").inner_text()) > 90
    gates = page.locator("#assess-gates").inner_text()
    assert "未满足" in gates and checklist.gates[0].text in gates  # the failed gate caps the level
    page.locator("#assess-result").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "assess-excel-gates.png"))
    page.close()

    viewer = open_app(browser, web_app, VIEWER)
    viewer.get_by_role("tab", name="自评").click()
    viewer.locator("#assess-excel").get_by_text("用 Excel 填写").click()
    assert "需要管理员登录" in viewer.locator("#assess-excel-hint").inner_text()
    assert viewer.locator("#assess-upload-button").is_hidden()
    viewer.close()


def test_admin_uploads_a_document_and_it_is_answered(
    browser: Any, web_app: RunningApp, artifacts: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "积水点巡查办法.md"
    doc.write_text(
        "# 街区积水点巡查办法\n\n## 第一章 总则\n\n"
        "第一条 暴雨期间，居委会应当每两小时巡查一次辖区积水点，并在水位尺读数超过二十厘米时上报街道。\n\n"
        "第二条 积水点旁应当设置警示桩和水位尺，提醒行人绕行。\n",
        encoding="utf-8",
    )
    page = open_app(browser, web_app, ADMIN)
    page.get_by_role("tab", name="知识库").click()
    page.wait_for_selector("#admin-panel", state="visible")
    page.locator("#upload-files input[type=file]").set_input_files(str(doc))
    page.locator("#upload-btn").click()
    page.wait_for_function("document.querySelector('#upload-results').innerText.includes('已添加')")
    page.wait_for_function("document.querySelector('#documents').innerText.includes('街区积水点巡查办法')")
    page.screenshot(path=str(artifacts / "library-admin-upload.png"), full_page=True)

    page.get_by_role("tab", name="问答").click()
    page.get_by_label("社区工作人员").check()
    reply = ask(page, "积水点多久巡查一次？水位超过多少要上报？")
    assert "《街区积水点巡查办法》" in reply.inner_text()
    page.screenshot(path=str(artifacts / "chat-uploaded-document.png"), full_page=True)
    page.close()


def test_library_is_read_only_for_non_admins(browser: Any, web_app: RunningApp, artifacts: Path) -> None:
    page = open_app(browser, web_app, VIEWER)
    page.get_by_role("tab", name="知识库").click()
    page.wait_for_function("document.querySelector('#documents').innerText.includes('窨井盖巡查试行办法')")
    assert "只读" in page.locator("#library-status").inner_text()
    assert not page.locator("#upload-btn").is_visible()
    page.screenshot(path=str(artifacts / "library-viewer.png"), full_page=True)
    page.get_by_role("tab", name="关于").click()
    page.wait_for_function("document.querySelector('#about-index').innerText.includes('份文档')")
    assert "不能代替" in page.locator("#about-text").inner_text()
    page.close()
