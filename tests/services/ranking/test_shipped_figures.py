"""The shipped ranker ensemble and refusal model reproduce the dev figures recorded when they
were trained (and the ranker beats fusion).

Needs ../shared/corpus: builds the evaluation index (as ``train-ranker`` does) in a temp dir
and scores the blind dev questions the figures were recorded on; test splits are not looked at
here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.cli.train_ranker_cmd import BLIND_SET
from assistant.factory import MODELS_DIR, build_assistant, ranker_model_path
from assistant.services.evaluate import load_eval_set
from assistant.services.ranking import training
from assistant.services.ranking.refusal import MAX_ANSWERABLE_REFUSED, RefusalModel
from assistant.services.refusal_rules import OutOfScopeGate
from assistant.settings import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.mark.parametrize("profile", ["use-multilingual", "e5-small"])
def test_shipped_ranker_reproduces_its_dev_figures(shared_corpus: Path, tmp_path: Path, profile: str) -> None:
    recorded = json.loads((MODELS_DIR / f"ranker-{profile}.json").read_text(encoding="utf-8"))
    dev_figures = recorded["splits"]["blind-dev"]
    assistant = build_assistant(load_settings(index_dir=tmp_path / "index", embedding_model=profile))
    assistant.ingest_service.ingest([shared_corpus, assistant.settings.corpus_dir])
    retriever = assistant.retriever
    assert retriever.ranker is not None and retriever.ranker.members == len(recorded["seeds"]) >= 5
    current = training.load_current_versions()
    blind = load_eval_set(BLIND_SET)
    # the figures were computed on the dev questions of their day (the set has grown since)
    scored = set(dev_figures["question_ids"])
    items = [i for i in blind if i.split == "dev" and i.id in scored]
    assert len(items) == len(scored)  # no recorded dev question was lost or moved
    learned = replace(retriever.params, mode="learned")
    ranker = training.metrics(training.run_system("ranker", retriever, items, learned, current))
    for key in ("hit@1", "mrr@10", "hit@10"):
        assert ranker[key] == pytest.approx(dev_figures["ranker"][key], abs=0.011), key
    assert ranker["hit@1"] > dev_figures["fusion"]["hit@1"]
    again = training.run_system("ranker", retriever, items[:20], learned, current)
    first = training.run_system("ranker", retriever, items[:20], learned, current)
    assert again.run == first.run  # deterministic ranking

    # the shipped refusal model: same dev figures, and within its answerable-refused cap
    refusal = RefusalModel(ranker_model_path(assistant.settings).with_name(f"ranker-{profile}-refusal.json"))
    assert refusal.available()
    rows = training.refusal_signals(retriever, items)
    oos = [s for s, unanswerable in rows if unanswerable]
    answerable = [s for s, unanswerable in rows if not unanswerable]
    answerable_refused = sum(refusal.refuse(s) for s in answerable) / len(answerable)
    oos_refused = sum(refusal.refuse(s) for s in oos)
    want = recorded["refusal"]["blind-dev"]
    assert answerable_refused == pytest.approx(want["answerable_refused"], abs=0.011)
    assert answerable_refused <= MAX_ANSWERABLE_REFUSED + 0.011
    assert abs(oos_refused - int(want["out_of_scope_refused"].split("/")[0])) <= 1

    # the default refusal stacks the intent model's out-of-scope gate on the thresholds: it must
    # refuse clearly more out-of-scope dev questions and stay within the 5% answerable cap
    stacked = assistant.answer_service.refusal
    assert isinstance(stacked, OutOfScopeGate)
    gated = sum(stacked.refuse(s) for s in oos)
    assert gated >= sum(stacked.inner.refuse(s) for s in oos) + 5
    assert sum(stacked.refuse(s) for s in answerable) / len(answerable) <= MAX_ANSWERABLE_REFUSED
