"""The shipped ranker reproduces the dev figures recorded when it was trained (and beats fusion).

Needs ../shared/corpus: builds the evaluation index (as ``train-ranker`` does) in a temp dir
and scores the blind dev split; test splits are not looked at here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.cli.train_ranker_cmd import BLIND_SET
from assistant.factory import MODELS_DIR, build_assistant
from assistant.services.evaluate import load_eval_set
from assistant.services.ranking import training
from assistant.settings import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_shipped_ranker_reproduces_its_dev_figures(shared_corpus: Path, tmp_path: Path) -> None:
    recorded = json.loads((MODELS_DIR / "ranker-use-multilingual.json").read_text(encoding="utf-8"))
    dev_figures = recorded["splits"]["blind-dev"]
    assistant = build_assistant(load_settings(index_dir=tmp_path / "index"))
    assistant.ingest_service.ingest([shared_corpus, assistant.settings.corpus_dir])
    retriever = assistant.retriever
    items = [i for i in load_eval_set(BLIND_SET) if i.split == "dev"]
    ranker = training.metrics(
        training.run_system("ranker", retriever, items, replace(retriever.params, mode="learned"))
    )
    for key in ("hit@1", "mrr@10", "hit@10"):
        assert ranker[key] == pytest.approx(dev_figures["ranker"][key], abs=0.011), key
    assert ranker["hit@1"] > dev_figures["fusion"]["hit@1"]
    again = training.run_system("ranker", retriever, items[:20], replace(retriever.params, mode="learned"))
    first = training.run_system("ranker", retriever, items[:20], replace(retriever.params, mode="learned"))
    assert again.run == first.run  # deterministic ranking
