"""The ranking report: every system on every held-out split, broken down by intent and audience.

``train-ranker`` prints figures as a side effect of training; this report measures the shipped
models without training anything, so it can be rerun for each embedder profile (each has its own
ranker) and compared. Per split it gives BM25 alone, dense alone, the old linear fusion and the
learned ranker (ranx metrics, the same relevance grading as training), ranx's paired t-test
table, and the ranker's figures per question intent and per audience — a mean over all
questions can hide a class that fails (residents' legal questions once did).

Splits: the blind set's ``dev`` (early stopping and refusal thresholds were chosen on it) and
``test`` (never used for any choice), and the old dev set's ``test``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assistant.services.evaluate import EvalItem
from assistant.services.ranking import training
from assistant.services.retrieve import HybridRetriever

SYSTEMS = ("bm25", "dense", "fusion", "ranker")
_MODES = {"bm25": "bm25", "dense": "dense", "fusion": "linear", "ranker": "learned"}
#: Groups smaller than this are listed but marked: one question moves their hit@1 by ≥ 10 points.
SMALL_GROUP = 10


def subset(system: training.SystemRun, ids: set[str]) -> training.SystemRun:
    """The same run restricted to the questions ``ids``."""
    return training.SystemRun(
        system.name,
        {q: ranked for q, ranked in system.run.items() if q in ids},
        {q: rels for q, rels in system.qrels.items() if q in ids},
    )


def breakdown(
    system: training.SystemRun, items: Sequence[EvalItem], key: Callable[[EvalItem], str]
) -> dict[str, dict[str, Any]]:
    """Metrics of ``system`` per group of answerable questions (``key`` names the group)."""
    groups: dict[str, set[str]] = {}
    for item in items:
        if item.answerable and item.id in system.run:
            groups.setdefault(key(item) or "(none)", set()).add(item.id)
    return {
        name: {"questions": len(ids), **training.metrics(subset(system, ids))}
        for name, ids in sorted(groups.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    }


def ranking_report(
    retriever: HybridRetriever,
    splits: Mapping[str, Sequence[EvalItem]],
    current: training.CurrentVersions | None = None,
) -> dict[str, Any]:
    """Figures for every split (see the module docstring); deterministic for a fixed index."""
    report: dict[str, Any] = {"splits": {}}
    for split, items in splits.items():
        runs = [
            training.run_system(name, retriever, items, replace(retriever.params, mode=_MODES[name]), current)
            for name in SYSTEMS
        ]
        ranker = runs[-1]
        report["splits"][split] = {
            "questions": len(ranker.run),
            "systems": {run.name: training.metrics(run) for run in runs},
            "by_intent": breakdown(ranker, items, lambda item: item.intent),
            "by_audience": breakdown(ranker, items, lambda item: item.audience),
            "comparison": training.compare(runs),
        }
    return report


def render_ranking_markdown(report: dict[str, Any], profile: str, chunks: int) -> str:
    """``eval/reports/ranking-<profile>.md``."""
    lines = [
        f"# 排序评测 / Ranking report — embedder `{profile}`",
        "",
        f"Index: ../shared/corpus + corpus/ ({chunks} chunks). Relevance: the gold article or "
        "section (or the article in force for a repealed gold). `blind-dev` chose the ranker's "
        "early stopping and the refusal thresholds; `blind-test` and `devset-test` chose nothing.",
        "",
    ]
    for split, block in report["splits"].items():
        lines += [f"## {split} ({block['questions']} answerable questions)", ""]
        lines += _table(["system"], [(name, m) for name, m in block["systems"].items()])
        for title, key in (("intent", "by_intent"), ("audience", "by_audience")):
            rows = [
                (f"{name} (n={m['questions']}{', small' if m['questions'] < SMALL_GROUP else ''})", m)
                for name, m in block[key].items()
            ]
            lines += [f"Ranker by {title}:", "", *_table([title], rows)]
        if block["comparison"]:
            lines += ["Paired t-test (ranx, p < 0.01; superscripts mark significant wins):", ""]
            lines += ["```", block["comparison"].rstrip(), "```", ""]
    return "\n".join(lines)


def _table(head: list[str], rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    metrics = [k for k in (rows[0][1] if rows else {}) if k != "questions"]
    out = [
        "| " + " | ".join(head + metrics) + " |",
        "|" + "---|" * (len(head) + len(metrics)),
    ]
    for name, values in rows:
        out.append("| " + " | ".join([name] + [f"{values[k]:.3f}" for k in metrics]) + " |")
    return [*out, ""]
