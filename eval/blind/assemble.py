"""Assemble the blind-written parts into eval/blindset.jsonl with a fixed, seeded split.

Run once when parts are added; the split of an existing id never changes (ids already in
eval/blindset.jsonl keep theirs). Stratified by gold document: within each document (a
regulation, the paper, a card file) questions are shuffled with a fixed seed and dealt
train/dev/test in 3:1:1, so every regulation appears in every split where it has ≥ 3 questions.
"""

import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "blindset.jsonl"
SEED = 20261202
DEAL = ["train", "dev", "train", "test", "train"]


def doc_of(row: dict) -> str:
    if not row["gold"]:
        return "oos:" + row.get("trap", "")
    gold = row["gold"][0]
    return gold.get("title") or gold.get("file", "")


def main() -> None:
    rows = []
    for part in sorted(HERE.glob("part-*.jsonl")) + sorted(HERE.glob("oos*.jsonl")):
        rows += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    fixed = {}
    if OUT.exists():
        fixed = {r["id"]: r["split"] for r in map(json.loads, OUT.read_text(encoding="utf-8").splitlines())}
    groups = defaultdict(list)
    for row in rows:
        row.pop("target", None)
        groups[doc_of(row)].append(row)
    rng = random.Random(SEED)
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda r: r["id"])
        rng.shuffle(members)
        for n, row in enumerate(members):
            row["split"] = fixed.get(row["id"], DEAL[n % len(DEAL)])
    keys = ["id", "split", "audience", "intent", "q", "answerable", "gold", "phrase", "trap", "writer"]
    with OUT.open("w", encoding="utf-8") as fh:
        for row in sorted(rows, key=lambda r: r["id"]):
            fh.write(json.dumps({k: row[k] for k in keys if k in row}, ensure_ascii=False) + "\n")
    print(len(rows), "rows ->", OUT)


if __name__ == "__main__":
    main()
