"""Training and measuring the ranker and the intent model from labelled questions.

Data: ``eval/blindset.jsonl`` (written blind by people who never saw what the system
retrieves; splits train/dev/test fixed once, stratified by document) and the older
``eval/devset.jsonl`` (its dev split joins training; its test split is reported alone).
The ranker (a bagged ensemble of LightGBM LambdaMART models, one per seed in
:data:`ENSEMBLE_SEEDS`) learns on train and each member early-stops on the blind dev split; the
test splits are only scored, never used to choose anything. Metrics come from ``ranx``.

Labels are graded where a gold article was repealed: ``eval/blind/current_versions.jsonl``
names, for blind questions whose gold lies in a regulation no longer in force, the articles
now in force that answer them. Those get the top grade and the repealed gold a lower positive
grade, so the ranker learns to put the current rule first without calling the old one wrong;
when no current article answers, the repealed one stays the only gold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.domain import Chunk
from assistant.services.evaluate import EvalItem, _chunk_relevant
from assistant.services.ranking.candidates import BM25_CANDIDATES, DENSE_CANDIDATES
from assistant.services.ranking.features import FEATURE_NAMES, Candidate
from assistant.services.ranking.intent import (
    IntentModel,
    choose_c,
    choose_out_of_scope_threshold,
    save_out_of_scope_threshold,
    train_intent,
)
from assistant.services.ranking.model import member_path, member_paths
from assistant.services.retrieve import FusionParams, HybridRetriever, Retrieval
from assistant.settings import PROJECT_ROOT

#: LightGBM settings: small trees, single thread and fixed seeds so training is reproducible.
#: Early stopping watches nDCG@10 alone: with nDCG@1 also watched, the noisiest metric stopped
#: most seeds after 5–10 rounds and decided the spread (blind dev hit@1 sd 0.017 over five seeds;
#: nDCG@10 alone: sd 0.007). Bagging 0.8 of rows and features makes the members differ.
LGB_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}
#: One ensemble member per seed (LightGBM's ``seed`` drives row and feature bagging).
ENSEMBLE_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5)
CURRENT_VERSIONS = PROJECT_ROOT / "eval" / "blind" / "current_versions.jsonl"
#: Grades: the articles in force for a question whose gold was repealed, then any gold.
CURRENT_GRADE = 2
GOLD_GRADE = 1
MAX_ROUNDS = 600
EARLY_STOP = 60
EVAL_K = 10


class _Recorder:
    """Stands in for the model while collecting features: records candidates, scores zero."""

    def __init__(self) -> None:
        self.matrix: np.ndarray = np.zeros((0, len(FEATURE_NAMES)))
        self.candidates: list[Candidate] = []

    def available(self) -> bool:
        return True

    def score(self, matrix: np.ndarray, candidates: Sequence[Candidate] = ()) -> np.ndarray:
        self.matrix, self.candidates = matrix, list(candidates)
        return np.zeros(len(matrix))


#: question id → the articles in force that answer it (``[{"title", "article"}]``).
CurrentVersions = dict[str, list[dict[str, str]]]


def load_current_versions(path: Path = CURRENT_VERSIONS) -> CurrentVersions:
    """Rows ``{"id", "repealed_gold": {title, article}, "current": [{title, article}]}``; an
    absent file means no question has a repealed gold."""
    if not path.is_file():
        return {}
    out: CurrentVersions = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            current = row["current"]
            if not isinstance(row["id"], str) or not isinstance(current, list):
                raise TypeError("id must be a string and current a list")
            out[row["id"]] = [{"title": str(c["title"]), "article": str(c["article"])} for c in current[:20]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: bad row ({exc}); want id, repealed_gold, current") from exc
    return out


def grade(item: EvalItem, chunk: Chunk, full_text: str, current: CurrentVersions) -> int:
    """Relevance grade of ``chunk`` for ``item`` (0 = not relevant)."""
    now = current.get(item.id)
    if now and _chunk_relevant(replace(item, gold=now, phrase=""), chunk, full_text):
        return CURRENT_GRADE
    return GOLD_GRADE if _chunk_relevant(item, chunk, full_text) else 0


@dataclass
class QuerySample:
    item: EvalItem
    matrix: np.ndarray
    labels: np.ndarray


def collect(
    retriever: HybridRetriever, items: Sequence[EvalItem], current: CurrentVersions | None = None
) -> list[QuerySample]:
    """Candidates, features and graded labels (:func:`grade`) for each answerable question."""
    current = {} if current is None else current
    saved = retriever.ranker
    recorder = _Recorder()
    retriever.ranker = recorder  # type: ignore[assignment]
    samples = []
    try:
        params = replace(retriever.params, mode="learned")
        for item in items:
            if not item.answerable:
                continue
            retrieval = retriever.retrieve(item.q, k=1, params=params, audience=item.audience)
            labels = np.array(
                [
                    float(grade(item, c.chunk, retrieval.passage_text(c.chunk), current))
                    for c in recorder.candidates
                ]
            )
            samples.append(QuerySample(item, recorder.matrix.copy(), labels))
    finally:
        retriever.ranker = saved
    return samples


def train_ranker(
    train: Sequence[QuerySample],
    dev: Sequence[QuerySample],
    path: Path,
    seeds: Sequence[int] = ENSEMBLE_SEEDS,
) -> dict[str, Any]:
    """Fit one LambdaMART member per seed on ``train`` (queries with a relevant candidate),
    each early-stopped on ``dev``; write them as the ensemble of ``path``."""
    import lightgbm as lgb

    def dataset(samples: Sequence[QuerySample], reference: Any = None) -> Any:
        usable = [s for s in samples if s.labels.any()]
        x = np.vstack([s.matrix for s in usable])
        y = np.concatenate([s.labels for s in usable])
        return lgb.Dataset(
            x,
            y,
            group=[len(s.labels) for s in usable],
            feature_name=list(FEATURE_NAMES),
            reference=reference,
            free_raw_data=False,
            params={"feature_pre_filter": False},
        )

    train_set = dataset(train)
    dev_set = dataset(dev, train_set)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in {path, *member_paths(path)}:  # an older single model or a larger ensemble
        stale.unlink(missing_ok=True)
    rounds: list[int] = []
    gain = np.zeros(len(FEATURE_NAMES))
    for number, seed in enumerate(seeds, start=1):
        booster = lgb.train(
            {**LGB_PARAMS, "seed": seed},
            train_set,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[dev_set],
            valid_names=["dev"],
            callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
        )
        booster.save_model(str(member_path(path, number)), num_iteration=booster.best_iteration)
        rounds.append(int(booster.best_iteration))
        gain += booster.feature_importance(importance_type="gain", iteration=booster.best_iteration)
    gain /= max(len(seeds), 1)
    return {
        "rounds": rounds,
        "seeds": list(seeds),
        "importance": dict(
            sorted(zip(FEATURE_NAMES, (round(float(g), 1) for g in gain), strict=True), key=lambda kv: -kv[1])
        ),
    }


def train_intents(items: Sequence[EvalItem], dev: Sequence[EvalItem], path: Path) -> dict[str, Any]:
    """Train the intent model on ``items``, its C chosen by macro-F1 on ``dev``; returns figures."""
    labelled = [i for i in items if i.intent]
    held_out = [i for i in dev if i.intent]
    train = ([i.q for i in labelled], [i.intent for i in labelled])
    c, scores = choose_c(train, ([i.q for i in held_out], [i.intent for i in held_out]))
    train_intent(*train, path, c=c)
    threshold = calibrate_out_of_scope(path, dev)
    return {
        "questions": len(labelled),
        "c": c,
        "dev_macro_f1": {str(k): v for k, v in scores.items()},
        "out_of_scope_threshold": round(threshold, 4),
    }


def calibrate_out_of_scope(path: Path, dev: Sequence[EvalItem]) -> float:
    """Choose and save the intent model's out-of-scope threshold on the answerable ``dev`` questions.

    Chosen on every held-out dev question (the blind set's and the intent set's: the latter
    has the everyday emergency wording the blind set lacks), from the model as trained.
    """
    model = IntentModel(path)
    answerable = [model.predict(i.q)["out_of_scope"] for i in dev if i.answerable]
    threshold = choose_out_of_scope_threshold(answerable)
    save_out_of_scope_threshold(path, threshold)
    return threshold


def refusal_signals(
    retriever: HybridRetriever, items: Sequence[EvalItem]
) -> list[tuple[dict[str, float], bool]]:
    """(retrieval signals, unanswerable?) for every question, as the answer service sees them."""
    params = replace(retriever.params, mode="learned")
    return [
        (dict(retriever.retrieve(i.q, k=8, params=params, audience=i.audience).signals), not i.answerable)
        for i in items
    ]


# --- measuring --------------------------------------------------------------------------
@dataclass
class SystemRun:
    """One system's ranked units per question, with relevance flags (for ranx)."""

    name: str
    run: dict[str, dict[str, float]] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def unit_key(retrieval: Retrieval, index: int) -> str:
    chunk = retrieval.items[index].chunk
    meta = chunk.metadata
    return f"{meta.get('doc_id')}:{meta.get('article') or meta.get('locator')}"


def run_system(
    name: str,
    retriever: HybridRetriever,
    items: Sequence[EvalItem],
    params: FusionParams,
    current: CurrentVersions | None = None,
) -> SystemRun:
    """Ranked units per answerable question; relevance graded by :func:`grade` (the article in
    force counts as a hit for a question whose gold was repealed)."""
    current = {} if current is None else current
    out = SystemRun(name)
    for item in items:
        if not item.answerable:
            continue
        retrieval = retriever.retrieve(item.q, k=EVAL_K, params=params, audience=item.audience)
        ranked: dict[str, float] = {}
        relevant: dict[str, int] = {}
        for n, scored in enumerate(retrieval.items):
            key = unit_key(retrieval, n)
            ranked.setdefault(key, float(EVAL_K - n))
            level = grade(item, scored.chunk, retrieval.passage_text(scored.chunk), current)
            if level > relevant.get(key, 0):
                relevant[key] = level
        out.run[item.id] = ranked or {"(none)": 0.0}
        out.qrels[item.id] = relevant or {"(gold not retrieved)": 1}
    return out


def metrics(system: SystemRun) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    if not system.run:
        return {}
    scores = evaluate(
        Qrels(system.qrels),
        Run(system.run, name=system.name),
        ["hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@5"],
    )
    return {key.replace("hit_rate", "hit"): round(float(value), 3) for key, value in scores.items()}


def recall_at_candidates(samples: Sequence[QuerySample]) -> float:
    """Share of questions whose gold passage is among the ranker's candidates."""
    return round(sum(bool(s.labels.any()) for s in samples) / len(samples), 3) if samples else 0.0


def compare(systems: Sequence[SystemRun]) -> str:
    """ranx's comparison table with paired t-tests (superscripts mark significant wins)."""
    from ranx import Qrels, Run
    from ranx import compare as ranx_compare

    if not systems or not systems[0].run:
        return ""
    merged: dict[str, dict[str, int]] = {}
    for system in systems:  # a unit judged relevant for one system is relevant for all
        for qid, rels in system.qrels.items():
            merged.setdefault(qid, {}).update(rels)
    qrels = Qrels(merged)
    report = ranx_compare(
        qrels,
        [Run(s.run, name=s.name) for s in systems],
        metrics=["hit_rate@1", "mrr@10"],
        max_p=0.01,
        stat_test="student",
    )
    return str(report)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


__all__ = [
    "BM25_CANDIDATES",
    "DENSE_CANDIDATES",
    "ENSEMBLE_SEEDS",
    "QuerySample",
    "collect",
    "compare",
    "grade",
    "load_current_versions",
    "metrics",
    "recall_at_candidates",
    "run_system",
    "train_intents",
    "train_ranker",
]
