"""The vectorised :func:`features.feature_matrix` gives exactly the values of the named
per-candidate feature functions (:func:`features.reference_matrix`).

Two checks: synthetic candidates that walk every branch (missing ranks, no dense score, no
question words, every place and document type, card audiences, repealed status), and the real
candidates of real blind-set questions over part of ../shared/corpus plus corpus/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.cli.train_ranker_cmd import BLIND_SET
from assistant.domain import Chunk
from assistant.factory import build_assistant
from assistant.services.ranking import features as f
from assistant.services.ranking.training import _Recorder
from assistant.settings import load_settings


def _ctx(**kw: object) -> f.QueryContext:
    args: dict[str, object] = {
        "question": "楼道里给电动车充电会被罚款吗",
        "words": ["楼道", "电动车", "充电", "罚款"],
        "audience": "resident",
        "wanted_place": "上海",
        "place_named": False,
        "named_docs": frozenset({"d1"}),
        "intent": {"penalty": 0.7, "obligation": 0.3},
        "cue_words": ["罚款"],
        "max_bm25": 8.0,
        "max_bm25_base": 0.0,
        "top_dense": 0.7,
    }
    args.update(kw)
    return f.QueryContext(**args)  # type: ignore[arg-type]


def _synthetic() -> list[f.Candidate]:
    metas: list[dict[str, object]] = [
        {
            "doc_id": "d1",
            "doc_type": "regulation",
            "jurisdiction": "上海",
            "chapter": "第五章 法律责任",
            "article_no": 40,
        },
        {
            "doc_id": "d2",
            "doc_type": "regulation",
            "jurisdiction": "北京",
            "chapter": "第一章 总则",
            "article_no": 1,
        },
        {"doc_id": "d3", "doc_type": "", "jurisdiction": "国家", "chapter": "附则", "article_no": "12"},
        {"doc_id": "c1", "doc_type": "guide", "audience": "resident,staff", "section_path": "楼道 充电"},
        {"doc_id": "c2", "doc_type": "procedure", "audience": "staff", "locator": "二、电动车"},
        {"doc_id": "p1", "doc_type": "paper", "status": "repealed", "article_no": None},
        {"doc_id": "c3", "doc_type": "case", "status": "in_force", "jurisdiction": None},
    ]
    out = []
    for n, meta in enumerate(metas):
        text = ["楼道充电处罚款", "电动车停放", "", "充电前检查楼道", "罚款", "论文", "案例 电动车"][n]
        cand = f.Candidate(n, Chunk(id=f"c{n}", text=text, embed_text=text, metadata=meta), bm25=n * 1.5)
        cand.bm25_base = n * 0.5
        cand.bm25_rank = None if n % 3 == 0 else n
        if n % 2 == 0:
            cand.dense, cand.dense_rank = 0.1 * n, n + 2
        cand.bridge, cand.bridge_rank, cand.direct = (0.4, 1, True) if n == 4 else (0.0, None, False)
        out.append(cand)
    return out


@pytest.mark.parametrize(
    "context",
    [
        _ctx(),
        _ctx(words=[], cue_words=[], max_bm25=0.0, audience="staff", place_named=True, wanted_place="北京"),
        _ctx(question="谁负责", intent={}, audience="department", top_dense=0.0, named_docs=frozenset()),
    ],
)
def test_vectorised_features_equal_the_named_functions(context: f.QueryContext) -> None:
    cands = _synthetic()
    fast, reference = f.feature_matrix(context, cands), f.reference_matrix(context, cands)
    assert fast.shape == (len(cands), len(f.FEATURES))
    np.testing.assert_array_equal(fast, reference)
    assert f.feature_matrix(context, []).shape == (0, len(f.FEATURES))


@pytest.mark.slow
@pytest.mark.shared
def test_vectorised_features_equal_the_named_functions_on_real_questions(
    shared_regulations: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    wanted = ("上海市气象条例", "上海市防汛条例", "中华人民共和国消防法", "上海市实施《气象法》办法")
    for path in sorted(shared_regulations.iterdir()):
        if path.name.startswith(wanted):
            shutil.copy(path, corpus / path.name)  # into the test's temp dir only
    assistant = build_assistant(load_settings(index_dir=tmp_path / "index"))
    assistant.ingest_service.ingest([corpus, assistant.settings.corpus_dir])
    retriever = assistant.retriever
    recorder = _Recorder()
    retriever.ranker = recorder  # type: ignore[assignment]
    contexts: list[f.QueryContext] = []
    own_context = retriever.query_context

    def recording_context(*args: object, **kwargs: object) -> f.QueryContext:
        context = own_context(*args, **kwargs)  # type: ignore[arg-type]
        contexts.append(context)
        return context

    retriever.query_context = recording_context  # type: ignore[method-assign]
    rows = [json.loads(line) for line in BLIND_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    compared = 0
    for row in [r for r in rows if r["split"] == "dev"][:60]:
        recorder.candidates = []
        retriever.retrieve(row["q"], k=5, audience=row.get("audience"))
        if not recorder.candidates:
            continue
        # recorder.matrix is what retrieval computed (the vectorised path) for these candidates
        np.testing.assert_array_equal(recorder.matrix, f.reference_matrix(contexts[-1], recorder.candidates))
        compared += len(recorder.candidates)
    assert compared > 1000  # real candidate lists were compared, not a handful
