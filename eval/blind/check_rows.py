"""Check a part file of blind-written questions against its targets (used while writing; tests re-check).

Targets name their passage (title + article, paper section, or card file + section); the text
is read from ../shared/corpus and corpus/ here, never stored in the project.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.eval.test_blindset import card_section  # noqa: E402
from tests.eval.test_devset import regulation_articles, seed_sections  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"


def passage_text(target: dict) -> str:
    """The target passage's text, looked up by reference."""
    if target["kind"] == "card":
        return card_section(target) or ""
    if target["kind"] == "paper":
        seed = sorted((SHARED / "seed").glob("*.txt"))[0]
        return seed_sections(seed).get(target["section"], "")
    for path in (SHARED / "regulations").glob("*.md"):
        if re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", path.stem) == target["title"]:
            return regulation_articles(path).get(target["article"], "")
    return ""

INTENTS = {"emergency", "obligation", "penalty", "responsibility", "procedure", "deadline", "policy"}
AUDIENCES = {"resident", "staff", "department"}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def longest_common_run(a: str, b: str) -> int:
    a, b = squash(a), squash(b)
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def main(part: str, targets: str) -> int:
    tmap = {json.loads(x)["target"]: json.loads(x) for x in Path(targets).read_text(encoding="utf-8").splitlines()}
    errors = 0
    seen = set()
    for n, line in enumerate(Path(part).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {n}: bad JSON: {exc}"); errors += 1; continue
        def bad(msg: str) -> None:
            nonlocal errors
            errors += 1
            print(f"line {n} ({row.get('id')}): {msg}")
        t = tmap.get(row.get("target", ""))
        if t is None:
            bad("unknown target"); continue
        if row.get("id") in seen:
            bad("duplicate id")
        seen.add(row.get("id"))
        if row.get("intent") not in INTENTS:
            bad(f"intent must be one of {sorted(INTENTS)}")
        if row.get("audience") not in AUDIENCES:
            bad("audience must be resident/staff/department")
        q = row.get("q", "")
        if not 4 <= len(q) <= 80:
            bad("question length must be 4..80 characters")
        text = passage_text(t)
        if not text:
            bad("target passage not found in ../shared/corpus or corpus/")
            continue
        run = longest_common_run(q, text)
        if run >= 10:
            bad(f"question shares a run of {run} characters with the passage")
        phrase = row.get("phrase", "")
        if not 6 <= len(phrase) <= 20:
            bad("phrase must be 6..20 characters")
        elif not any(phrase in line for line in text.splitlines()):
            bad("phrase does not occur within one line of the passage")
        gold = row.get("gold") or []
        want = {k: t[k] for k in ("title", "article", "section", "file") if k in t}
        want.pop("title", None) if t["kind"] == "card" else None
        if gold != [want]:
            bad(f"gold must be exactly [{json.dumps(want, ensure_ascii=False)}]")
    print(f"{errors} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
