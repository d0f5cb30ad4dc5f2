"""``train-router``: retrain the card router (which guide a person in an emergency would open).

Fast (about a minute with USE): it retrieves each labelled question once on the evaluation
index, computes the per-card features and fits the logistic model; C and the threshold are
chosen on the dev splits. ``train-ranker`` runs it at its end (the router reads the ranker's
order as a feature, so a retrained ranker needs a retrained router); run it alone after changing
the labels. The pack's own questions and ``eval/router_heldout.jsonl`` (222 emergency questions
written blind on 2026-12-07, each labelled with the guide that answers it or none) are evaluated,
never trained on nor used for any choice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.eval_cmd import BLIND_SET, SHARED_CORPUS
from assistant.settings import PROJECT_ROOT

CARD_LABELS = PROJECT_ROOT / "eval" / "card_labels.jsonl"
INTENT_SET = PROJECT_ROOT / "eval" / "intent_questions.jsonl"
PACK_SET = PROJECT_ROOT / "eval" / "pack_questions.jsonl"
HELDOUT_SET = PROJECT_ROOT / "eval" / "router_heldout.jsonl"
#: Guide questions written blind for the router alone (2026-12-08), with their own train/dev split.
ROUTER_SET = PROJECT_ROOT / "eval" / "router_train.jsonl"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "train-router",
        help="用标注的应急问题重新训练“选哪份指南”的模型，并报告 dev 与知识包问题上的正确率",
        description="训练集训练，dev 集选 C 与阈值；知识包问题只评测。",
    )
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS, help="外部语料目录（默认 ../shared/corpus）"
    )
    parser.add_argument("--index", type=Path, help="评测索引目录（默认 index/eval）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.cli.eval_index import open_evaluation_index

    opened = open_evaluation_index(args.corpus, args.index, "训练")
    if opened is None:
        return 2
    figures = train_card_router(opened.assistant)
    print({k: v for k, v in figures.items() if k != "weights"})
    return 0


def train_card_router(assistant: Any) -> dict[str, Any]:
    """Train the guide router of ``assistant``'s embedder; returns its figures (also in the file)."""
    import numpy as np

    from assistant.factory import card_router_path
    from assistant.services.evaluate import load_eval_set
    from assistant.services.ranking import card_training as ct

    retriever = assistant.retriever
    features = assistant.card_router.features

    def retrieve(question: str, audience: str) -> tuple[Any, Any, Any, Any]:
        found = retriever.retrieve(question, k=8, audience=audience)
        return found.lexical, found.query_vector, found.bm25, found.items

    questions = ct.card_questions("guide", CARD_LABELS, load_eval_set(INTENT_SET), load_eval_set(BLIND_SET))
    questions += ct.guide_questions(ROUTER_SET)
    rows = ct.collect(retrieve, features, questions)
    path = card_router_path(assistant.settings)
    figures: dict[str, Any] = ct.train(
        [r for r in rows if r.question.split == "train"], [r for r in rows if r.question.split == "dev"]
    )
    pack = [
        ct.CardQuestion(i.id, i.q, i.audience, "guide", frozenset({Path(i.gold_file).name}), "pack")
        for i in load_eval_set(PACK_SET)
        if "/guides/" in i.gold_file
    ]
    pack_rows = ct.collect(retrieve, features, pack)
    weights, bias, threshold = figures["weights"], figures["bias"], figures["threshold"]
    figures["pack_right"] = round(float(np.mean(ct.decisions(pack_rows, weights, bias, threshold))), 3)
    figures["pack_questions"] = len(pack_rows)
    heldout_rows = ct.collect(retrieve, features, ct.heldout_questions(HELDOUT_SET))
    figures["heldout_right"] = round(float(np.mean(ct.decisions(heldout_rows, weights, bias, threshold))), 3)
    figures["heldout_questions"] = len(heldout_rows)
    ct.save(figures, path)
    assistant.card_router.reload()
    print(
        f"卡片路由：dev {figures['dev_right']}，知识包 {figures['pack_right']}，"
        f"留出集 {figures['heldout_right']} → {path}",
        file=sys.stderr,
    )
    return figures
