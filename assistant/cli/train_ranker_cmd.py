"""``train-ranker``: retrain the intent model and the ranker from the labelled questions.

Builds (incrementally) the evaluation index of ``../shared/corpus`` + ``corpus/``, collects
candidates and features for every labelled question, trains the intent classifier and the
LightGBM ranker ensemble (one member per seed; train split, early stopping on the blind dev
split) and the refusal model (threshold chosen on blind dev), writes the model files into
``assistant/models/`` and prints dev and test figures for BM25, dense, the old fusion, the
ranker ensemble and the spread of its single members, then retrains the card router (it reads
the ranker's order). The figures are written beside the model (``ranker-<embedder>.json``);
the test that guards the shipped model compares against them.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.cli.eval_cmd import BLIND_SET, DEFAULT_SET, SHARED_CORPUS
from assistant.settings import PROJECT_ROOT

#: Questions labelled with an intent only, written blind to train the intent classifier.
INTENT_SET = PROJECT_ROOT / "eval" / "intent_questions.jsonl"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "train-ranker",
        help="用标注问题集重新训练意图模型和排序模型，并报告 dev/test 指标",
        description="训练集训练、盲写 dev 集早停；test 集只评测、不参与任何选择。",
    )
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS, help="外部语料目录（默认 ../shared/corpus）"
    )
    parser.add_argument("--index", type=Path, help="评测索引目录（默认 index/eval）")
    parser.add_argument("--figures", type=Path, help="指标 JSON 输出位置（默认与模型同名的 .json）")
    parser.add_argument(
        "--keep-intent",
        action="store_true",
        help="不重训意图模型和“怎么做/规定”判别模型（两者为所有嵌入模型共用），只训练本嵌入模型的排序、拒答、门槛与指南路由",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.cli.eval_index import open_evaluation_index
    from assistant.cli.train_router_cmd import train_card_router
    from assistant.factory import DENSE_BARS_FILE, MODELS_DIR, embedder_profile, ranker_model_path
    from assistant.services.evaluate import load_eval_set
    from assistant.services.ranking import training
    from assistant.services.ranking.dense_scale import calibrate_profile
    from assistant.services.ranking.intent import IntentModel
    from assistant.services.ranking.model import RankerModel
    from assistant.services.ranking.refusal import RefusalModel, train_refusal

    opened = open_evaluation_index(args.corpus, args.index, "训练")
    if opened is None:
        return 2
    assistant = opened.assistant
    retriever = assistant.retriever
    blind = load_eval_set(BLIND_SET)
    current = training.load_current_versions()
    old = load_eval_set(DEFAULT_SET)
    train_items = [i for i in blind if i.split == "train"] + [i for i in old if i.split == "dev"]
    splits = {
        "blind-dev": [i for i in blind if i.split == "dev"],
        "blind-test": [i for i in blind if i.split == "test"],
        "devset-test": [i for i in old if i.split == "test"],
    }
    started = time.perf_counter()
    # The intent model also learns from a set written only for it (no gold passages): everyday
    # emergency and procedure questions the blind set has few of. C is chosen on both dev parts.
    # Both are shared by every embedder profile: --keep-intent retrains one profile's models
    # without changing how the other profiles answer.
    path = ranker_model_path(assistant.settings)
    if args.keep_intent:
        intent_figures = _recorded_intent(path)
        _say("意图模型与“怎么做/规定”判别模型：保留现有模型（--keep-intent）")
    else:
        extra = load_eval_set(INTENT_SET) if INTENT_SET.is_file() else []
        intent_figures = training.train_intents(
            [i for i in blind + extra if i.split == "train"],
            [i for i in blind + extra if i.split == "dev"],
            MODELS_DIR / "intent.npz",
        )
        retriever.intent_model = IntentModel(MODELS_DIR / "intent.npz")
        _say(f"意图模型：{intent_figures}")
        from assistant.cli.train_how_to_cmd import train_how_to_model

        _say(f"怎么做/规定判别模型：{train_how_to_model()}")
    train = training.collect(retriever, train_items, current)
    dev = training.collect(retriever, splits["blind-dev"], current)
    fitted = training.train_ranker(train, dev, path)
    retriever.ranker = RankerModel(path)
    _say(
        f"排序模型：{len(fitted['rounds'])} 个成员，轮数 {fitted['rounds']}，{len(train)} 个训练问题，"
        f"{time.perf_counter() - started:.0f} 秒 → {path}"
    )
    figures: dict[str, Any] = {
        "intent": intent_figures,
        "rounds": fitted["rounds"],
        "seeds": fitted["seeds"],
        "importance": fitted["importance"],
        "splits": {},
    }
    refusal_path = path.with_name(path.stem + "-refusal.json")
    signals = {name: training.refusal_signals(retriever, items) for name, items in splits.items()}
    train_signals = training.refusal_signals(retriever, [i for i in blind if i.split == "train"])
    figures["refusal"] = train_refusal(train_signals, signals["blind-dev"], refusal_path)
    # the thresholds' cosine bars follow this embedder's scale (the reference keeps its own)
    figures["dense_bars"] = calibrate_profile(
        DENSE_BARS_FILE,
        embedder_profile(assistant.settings),
        [s for s, unanswerable in train_signals if not unanswerable],
    )
    _say(f"相似度门槛：{figures['dense_bars']}")
    refusal = RefusalModel(refusal_path)
    for name, rows in signals.items():
        oos = [s for s, unanswerable in rows if unanswerable]
        answerable = [s for s, unanswerable in rows if not unanswerable]
        figures["refusal"][name] = {
            "out_of_scope_refused": f"{sum(refusal.refuse(s) for s in oos)}/{len(oos)}",
            "answerable_refused": round(
                sum(refusal.refuse(s) for s in answerable) / max(len(answerable), 1), 3
            ),
        }
    _say(f"拒答模型：{figures['refusal']}")
    systems = {
        "bm25": replace(retriever.params, mode="bm25"),
        "dense": replace(retriever.params, mode="dense"),
        "fusion": replace(retriever.params, mode="linear"),
        "ranker": replace(retriever.params, mode="learned"),
    }
    for split, items in splits.items():
        runs = [
            training.run_system(name, retriever, items, params, current) for name, params in systems.items()
        ]
        samples = training.collect(retriever, items, current)
        entry: dict[str, Any] = {run.name: training.metrics(run) for run in runs}
        entry["candidate_recall"] = training.recall_at_candidates(samples)
        entry["questions"] = len(samples)
        # the blind set grows between trainings: the ids say which questions these figures are on
        entry["question_ids"] = sorted(i.id for i in items)
        intents = [i for i in items if i.intent]
        if intents and retriever.intent_model is not None:
            hits = sum(retriever.intent_model.top(i.q) == i.intent for i in intents)
            entry["intent_accuracy"] = round(hits / len(intents), 3)
        figures["splits"][split] = entry
        print(f"\n## {split}（{len(samples)} 题，候选召回 {entry['candidate_recall']}）")
        for name in systems:
            print(f"{name:8s} " + "  ".join(f"{k} {v:.3f}" for k, v in entry[name].items()))
        entry["single_models"] = _single_models(retriever, path, items, systems["ranker"], current)
        spread = entry["single_models"]
        print(
            "单模型  "
            + "  ".join(f"{k} {spread['mean'][k]:.3f}±{spread['sd'][k]:.3f}" for k in spread["mean"])
        )
        if "intent_accuracy" in entry:
            print(f"意图准确率 {entry['intent_accuracy']:.3f}")
        print(training.compare(runs))
    # the card router reads the ranker's order as a feature: retrain it on the new ranker
    figures["card_router"] = {k: v for k, v in train_card_router(assistant).items() if k != "weights"}
    out = args.figures or path.with_suffix(".json")
    training.write_json(out, figures)
    print(f"\n指标已写入 {out}")
    return 0


def _single_models(
    retriever: Any, path: Path, items: Any, params: Any, current: dict[str, Any]
) -> dict[str, Any]:
    """Figures of each ensemble member alone (mean and sample sd): the spread the ensemble removes."""
    import statistics

    from assistant.services.ranking import training
    from assistant.services.ranking.model import RankerModel, member_paths

    ensemble = retriever.ranker
    members = []
    try:
        for member in member_paths(path):
            retriever.ranker = RankerModel(member)
            members.append(training.metrics(training.run_system("single", retriever, items, params, current)))
    finally:
        retriever.ranker = ensemble
    keys = list(members[0]) if members else []
    return {
        "members": members,
        "mean": {k: round(statistics.mean(m[k] for m in members), 3) for k in keys},
        "sd": {
            k: round(statistics.stdev(m[k] for m in members), 3) if len(members) > 1 else 0.0 for k in keys
        },
    }


def _recorded_intent(path: Path) -> Any:
    """The intent model's figures as recorded by the training that produced it (kept models)."""
    import json

    figures = path.with_suffix(".json")
    if not figures.is_file():
        return {}
    return json.loads(figures.read_text(encoding="utf-8")).get("intent", {})


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
