"""The pack is written in our own words: nothing long is copied from ../shared/corpus.

Two checks. The sentence check is the repository's copy hook: split at 。！？； and newlines,
strip whitespace, and flag any piece of 30 or more characters found verbatim in a shared
source. The run check is stricter: with whitespace and punctuation removed on both sides, no
run of 20 characters of shared text may appear anywhere in the pack, except inside a fixed
name or legal term listed in ``copy_run_allowlist.yaml`` (a data file, so exceptions are
reviewed like code). Whitespace goes first because the seed paper breaks lines mid-sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import pack_text_files, rel

MIN_COPY_CHARS = 30
MIN_RUN_CHARS = 20
ALLOWLIST_FILE = Path(__file__).with_name("copy_run_allowlist.yaml")
# Everything that is not a letter, digit or CJK character: whitespace and all punctuation.
_NOT_TEXT = re.compile(r"[\W_]+")
_SPLIT = re.compile(r"[。！？；\n]")
_SPACE = re.compile(r"\s+")


def long_sentences(text: str) -> list[str]:
    pieces = (_SPACE.sub("", piece) for piece in _SPLIT.split(text))
    return [p for p in pieces if len(p) >= MIN_COPY_CHARS]


@pytest.fixture(scope="session")
def shared_text(shared_corpus: Path) -> str:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(shared_corpus.rglob("*"))
             if p.is_file() and p.suffix in {".md", ".txt"}]  # fmt: skip
    return "\x00".join(_SPACE.sub("", t) for t in texts)


def copied_sentences(text: str, shared_text: str) -> list[str]:
    return [sentence for sentence in long_sentences(text) if sentence in shared_text]


def test_no_sentence_is_copied_from_shared(shared_text: str) -> None:
    copied = [
        f"{rel(path)}: {sentence[:40]}…"
        for path in pack_text_files()
        for sentence in copied_sentences(path.read_text(encoding="utf-8"), shared_text)
    ]
    assert not copied, "sentences copied verbatim from ../shared/corpus:\n" + "\n".join(copied)


def test_copy_detector_catches_a_copied_article(shared_regulations: Path, shared_text: str) -> None:
    # A card that lifts a regulation sentence must be caught even when it re-wraps the lines,
    # while our own paraphrase of the same rule must not.
    source = (shared_regulations / "上海市防汛条例(2021-11-25).md").read_text(encoding="utf-8")
    article = next(line for line in source.splitlines() if line.startswith("第四十二条"))
    lifted = article.removeprefix("第四十二条").strip().split("，", 1)
    card = f"## 撤离\n\n1. {lifted[0]}， \n  {lifted[1]}\n"
    assert len(copied_sentences(card, shared_text)) == 1
    own = "1. 区政府会按防汛预案组织受严重威胁的居民撤离，其他单位要帮忙一起做好撤离工作（依据：…）"
    assert copied_sentences(own, shared_text) == []


def run_text(text: str) -> str:
    """Text as the run check compares it: whitespace and punctuation removed."""
    return _NOT_TEXT.sub("", text)


def load_allowlist(path: Path = ALLOWLIST_FILE) -> list[str]:
    """The allowed names and terms, normalised like :func:`run_text`; each needs a ``why``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    terms = data.get("terms") if isinstance(data, dict) else None
    assert isinstance(terms, list) and terms, f"{path.name}: needs a non-empty 'terms' list"
    result = []
    for i, entry in enumerate(terms):
        assert isinstance(entry, dict) and entry.get("term") and entry.get("why"), (
            f"{path.name}: entry {i + 1} needs 'term' and 'why'"
        )
        term = run_text(str(entry["term"]))
        assert 4 <= len(term) <= 40, f"{path.name}: '{entry['term']}' is not a name or term (length)"
        result.append(term)
    return result


@pytest.fixture(scope="session")
def shared_runs(shared_corpus: Path) -> list[str]:
    files = [p for p in sorted(shared_corpus.rglob("*")) if p.is_file() and p.suffix in {".md", ".txt"}]
    return [run_text(p.read_text(encoding="utf-8", errors="replace")) for p in files]


def copied_runs(texts: dict[str, str], shared: list[str], allowed: list[str]) -> dict[str, list[str]]:
    """Maximal runs (≥ MIN_RUN_CHARS) of shared text in each named text, allowed terms cut out.

    Windows of the pack are indexed once and the shared texts scanned against them, which is
    linear in both sizes (a substring search per window would be quadratic).
    """
    windows: dict[str, list[tuple[str, int]]] = {}
    pieces: dict[str, str] = {}
    for name, text in texts.items():
        flat = run_text(text)
        for term in sorted(allowed, key=len, reverse=True):
            flat = flat.replace(term, "\x00")
        pieces[name] = flat
        for i in range(len(flat) - MIN_RUN_CHARS + 1):
            window = flat[i : i + MIN_RUN_CHARS]
            if "\x00" not in window:
                windows.setdefault(window, []).append((name, i))
    starts: dict[str, set[int]] = {}
    for source in shared:
        for i in range(len(source) - MIN_RUN_CHARS + 1):
            for name, at in windows.get(source[i : i + MIN_RUN_CHARS], ()):
                starts.setdefault(name, set()).add(at)
    found: dict[str, list[str]] = {}
    for name, positions in starts.items():
        spans: list[list[int]] = []
        for at in sorted(positions):
            if spans and at <= spans[-1][1]:
                spans[-1][1] = at + MIN_RUN_CHARS
            else:
                spans.append([at, at + MIN_RUN_CHARS])
        found[name] = [pieces[name][a:b] for a, b in spans]
    return found


def test_no_run_is_copied_from_shared(shared_runs: list[str]) -> None:
    texts = {rel(path): path.read_text(encoding="utf-8") for path in pack_text_files()}
    found = copied_runs(texts, shared_runs, load_allowlist())
    lines = [f"{name}: {run} ({len(run)})" for name, runs in sorted(found.items()) for run in runs]
    assert not lines, f"runs of ≥{MIN_RUN_CHARS} characters copied from ../shared/corpus:\n" + "\n".join(
        lines
    )


def test_run_detector_catches_a_reworded_copy(shared_regulations: Path, shared_runs: list[str]) -> None:
    # A 20-character slice re-punctuated and re-spaced is still caught; an allowed term is not,
    # and our own paraphrase of the same article is clean.
    source = (shared_regulations / "上海市防汛条例(2021-11-25).md").read_text(encoding="utf-8")
    article = run_text(next(line for line in source.splitlines() if line.startswith("第四十二条")))
    lifted = article[5:25]
    card = "撤离时：" + "，".join(lifted[i : i + 4] for i in range(0, 20, 4)) + "。"
    assert copied_runs({"x.md": card}, shared_runs, []) == {"x.md": [lifted]}
    assert copied_runs({"x.md": card}, shared_runs, [lifted[4:16]]) == {}
    own = "区政府会按防汛预案组织受严重威胁的居民撤离，其他单位要帮忙一起做好撤离工作"
    assert copied_runs({"x.md": own}, shared_runs, []) == {}


def test_run_detector_joins_overlapping_windows() -> None:
    shared = ["甲乙丙" + "一二三四五六七八九十" * 3 + "丁戊"]
    text = "我们写：" + "一二三四五六七八九十" * 3 + "。"
    assert copied_runs({"a": text}, shared, []) == {"a": ["一二三四五六七八九十" * 3]}
    assert copied_runs({"a": "一二三四五六七八九十一二三四五六七八九"}, shared, []) == {}  # 19 chars


def test_allowlist_holds_names_not_sentences() -> None:
    terms = load_allowlist()
    assert all(len(term) <= 40 for term in terms) and len(terms) == len(set(terms))
