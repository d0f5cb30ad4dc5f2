"""``train-how-to``: retrain the model that tells an emergency how-to from a rights question.

Seconds, no index: it reads only the questions and intents of the blind-written set and the
intent-only set (train splits to fit, dev splits to choose C). ``train-ranker`` runs it too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.eval_cmd import BLIND_SET
from assistant.cli.train_router_cmd import INTENT_SET


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "train-how-to",
        help="重新训练“问怎么做还是问规定”的判别模型（应急自救 vs 义务/处罚/职责/期限）",
        description="训练集训练，dev 集选 C；只读问题文本和意图标注，不需要索引。",
    )
    parser.add_argument("--out", type=Path, help="模型文件（默认 assistant/models/how-to.npz）")
    parser.set_defaults(func=run)


def train_how_to_model(path: Path | None = None) -> dict[str, Any]:
    """Train from the labelled sets and write the model file; returns its figures."""
    from assistant.factory import MODELS_DIR
    from assistant.services.evaluate import load_eval_set
    from assistant.services.ranking.how_to import labelled, train_how_to

    items = load_eval_set(BLIND_SET) + (load_eval_set(INTENT_SET) if INTENT_SET.is_file() else [])
    train = labelled([(i.q, i.intent) for i in items if i.split == "train"])
    dev = labelled([(i.q, i.intent) for i in items if i.split == "dev"])
    return train_how_to(train, dev, path or MODELS_DIR / "how-to.npz")


def run(args: argparse.Namespace) -> int:
    figures = train_how_to_model(args.out)
    print(figures)
    print(f"怎么做/规定判别模型：dev 正确率 {figures['dev_accuracy'][figures['C']]}", file=sys.stderr)
    return 0
