"""Retrieval and answer evaluation on the team's question sets (``eval/*.jsonl``).

Two set formats:
- the dev set (``eval/devset.jsonl``): gold passages by title + article or paper section and an
  evidence phrase; measures ranking (hit@1, hit@5, MRR, nDCG@5) for the hybrid retriever, BM25
  alone, dense alone and a vanilla LangChain pipeline, plus citation precision, refusals and
  latency of the full answer path;
- the pack set (``eval/pack_questions.jsonl``): a gold card and key actions an answer must contain.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.components.knowledge_pack import cites, title_key
from assistant.domain import Chunk
from assistant.services.answer import AnswerResult, AnswerService
from assistant.services.baseline import VanillaLangChainBaseline
from assistant.services.retrieve import CARD_TYPES, FusionParams, HybridRetriever

_NUMBERING = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])")


@dataclass
class EvalItem:
    id: str
    q: str
    audience: str = "staff"
    split: str = "dev"
    answerable: bool = True
    gold: list[dict[str, str]] = field(default_factory=list)
    phrase: str = ""
    gold_file: str = ""
    key_actions: list[str] = field(default_factory=list)
    intent: str = ""


def load_eval_set(path: Path) -> list[EvalItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                EvalItem(
                    id=str(row["id"]),
                    q=str(row["q"]),
                    audience=row.get("audience", "staff"),
                    split=row.get("split", "dev"),
                    answerable=bool(row.get("answerable", True)),
                    gold=list(row.get("gold", [])),
                    phrase=row.get("phrase", ""),
                    gold_file=row.get("gold_file", ""),
                    key_actions=list(row.get("key_actions", [])),
                    intent=str(row.get("intent", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} 第 {n} 行格式错误：{exc}") from exc
    return items


def _numbering(path: str) -> list[str]:
    """'三、问题 > （二）基础设施' → ['三、', '（二）'] (half-width brackets folded)."""
    out = []
    for part in re.split(r"\s*>\s*", path):
        match = _NUMBERING.match(part)
        if match:
            out.append(match.group(1).replace("(", "（").replace(")", "）"))
    return out


def _gold_numbering(section: str) -> list[str]:
    return [
        m.replace("(", "（").replace(")", "）")
        for m in re.findall(
            r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、]", section
        )
    ]


def is_relevant(item: EvalItem, title: str, file: str, article: str, locator: str, text: str) -> bool:
    """A passage is relevant when it is from a gold document and is the gold article/section,
    or (for passages without structure, like character windows) contains the gold phrase."""
    names = {title_key(title), title_key(Path(file).stem)}
    for gold in item.gold:
        if gold.get("file"):  # a knowledge-card section: its file and heading
            if Path(gold["file"]).name == Path(file).name and gold.get("section") == locator:
                return True
            continue
        if title_key(gold.get("title", "")) not in names:
            continue
        if gold.get("article") and gold["article"] == article:
            return True
        if gold.get("section"):
            want = _gold_numbering(gold["section"])
            have = _numbering(locator)
            if want and have[: len(want)] == want:
                return True
        if item.phrase and item.phrase in text:
            return True
    return False


def _chunk_relevant(item: EvalItem, chunk: Chunk, full_text: str, derived: bool = False) -> bool:
    """Strict: the gold article/section itself. ``derived``: also a knowledge card that cites
    the gold article (the pack restates articles in plain words with their citation)."""
    meta = chunk.metadata
    if is_relevant(
        item,
        chunk.title,
        str(meta.get("file", "")),
        str(meta.get("article", "")),
        str(meta.get("locator", "")),
        full_text,
    ):
        return True
    if not derived or meta.get("doc_type") not in CARD_TYPES:
        return False
    return any(g.get("article") and cites(chunk.text, g.get("title", ""), g["article"]) for g in item.gold)


def ranking_metrics(first_hits: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@5, MRR@10 and nDCG@5 from the 1-based rank of the first relevant passage."""
    n = max(len(first_hits), 1)
    return {
        "hit@1": sum(1 for r in first_hits if r == 1) / n,
        "hit@5": sum(1 for r in first_hits if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r in first_hits if r is not None) / n,
        "ndcg@5": sum(1 / math.log2(r + 1) for r in first_hits if r is not None and r <= 5) / n,
    }


def _first_hit(flags: Iterable[bool]) -> int | None:
    for rank, flag in enumerate(flags, start=1):
        if flag:
            return rank
    return None


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[idx]


class Evaluator:
    """Runs every system on the same questions and index inputs."""

    def __init__(
        self, answers: AnswerService, retriever: HybridRetriever, baseline: VanillaLangChainBaseline | None
    ) -> None:
        self.answers = answers
        self.retriever = retriever
        self.baseline = baseline

    def retrieval_ranks(
        self, items: Sequence[EvalItem], params: FusionParams | None = None
    ) -> list[int | None]:
        out = []
        for item in items:
            found = self.retriever.retrieve(item.q, k=10, params=params).items
            out.append(
                _first_hit(
                    _chunk_relevant(item, s.chunk, self.retriever.article_text(s.chunk)) for s in found
                )
            )
        return out

    def run(self, items: Sequence[EvalItem], progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        answerable = [i for i in items if i.answerable]
        report: dict[str, Any] = {
            "questions": len(items),
            "answerable": len(answerable),
            "out_of_scope": len(items) - len(answerable),
            "splits": {},
        }
        base = self.retriever.params
        systems: dict[str, Callable[[Sequence[EvalItem]], list[int | None]]] = {
            "hybrid": lambda xs: self.retrieval_ranks(xs, base),
            "bm25": lambda xs: self.retrieval_ranks(xs, replace(base, mode="bm25")),
            "dense": lambda xs: self.retrieval_ranks(xs, replace(base, mode="dense")),
        }
        if self.baseline is not None:
            systems["vanilla-langchain"] = self._vanilla_ranks
        for split in sorted({i.split for i in items}):
            split_items = [i for i in items if i.split == split]
            split_answerable = [i for i in split_items if i.answerable]
            block: dict[str, Any] = {"retrieval": {}}
            for name, fn in systems.items():
                if progress:
                    progress(f"{split}: {name}")
                block["retrieval"][name] = ranking_metrics(fn(split_answerable))
            if progress:
                progress(f"{split}: answers")
            block["answers"] = self._answer_metrics(split_items)
            report["splits"][split] = block
        return report

    def _vanilla_ranks(self, items: Sequence[EvalItem]) -> list[int | None]:
        assert self.baseline is not None
        out = []
        for item in items:
            docs = self.baseline.search(item.q, k=5)
            out.append(
                _first_hit(
                    is_relevant(item, "", str(d.metadata.get("file", "")), "", "", d.page_content)
                    for d in docs
                )
            )
        return out

    def _answer_metrics(self, items: Sequence[EvalItem]) -> dict[str, Any]:
        results: list[tuple[EvalItem, AnswerResult]] = []
        latencies = []
        for item in items:
            t0 = time.perf_counter()
            result = self.answers.ask(
                item.q,
                audience=item.audience if item.audience in ("resident", "staff", "department") else "staff",
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            results.append((item, result))
        refused_oos = sum(1 for i, r in results if not i.answerable and r.refused)
        refused_ok = sum(1 for i, r in results if i.answerable and r.refused)
        refused = refused_oos + refused_ok
        oos = sum(1 for i, _ in results if not i.answerable)
        answerable = len(results) - oos
        cited = [(i, c) for i, r in results if i.answerable and not r.refused for c in r.citations]
        good = sum(1 for i, c in cited if c.chunk is not None and _chunk_relevant(i, c.chunk, c.text))
        relevant = [
            [c.chunk is not None and _chunk_relevant(i, c.chunk, c.text) for c in r.citations]
            for i, r in results
            if i.answerable
        ]
        return {
            # the hidden sets' headline measures: a refused answerable question counts as a miss
            "first_citation": sum(bool(f and f[0]) for f in relevant) / answerable if answerable else 0.0,
            "gold_among_citations": sum(any(f) for f in relevant) / answerable if answerable else 0.0,
            "citation_precision": good / len(cited) if cited else 0.0,
            "refusal_precision": refused_oos / refused if refused else 1.0,
            "refusal_recall": refused_oos / oos if oos else 1.0,
            "answerable_refused": refused_ok,
            "answerable_refused_rate": refused_ok / answerable if answerable else 0.0,
            "out_of_scope_answered": oos - refused_oos,
            "latency_ms_p50": _percentile(latencies, 0.5),
            "latency_ms_p95": _percentile(latencies, 0.95),
            "missed_refusals": [i.id for i, r in results if not i.answerable and not r.refused],
            "false_refusals": [i.id for i, r in results if i.answerable and r.refused],
        }

    def run_pack(self, items: Sequence[EvalItem]) -> dict[str, Any]:
        """Pack questions: key actions present in the answer and the gold card cited."""
        rows: list[dict[str, Any]] = []
        for item in items:
            result = self.answers.ask(item.q, audience=item.audience)
            files = {c.file for c in result.citations}
            actions = [a for a in item.key_actions if a in result.answer]
            rows.append(
                {
                    "id": item.id,
                    "refused": result.refused,
                    "card_cited": Path(item.gold_file).name in files,
                    "actions_found": len(actions),
                    "actions_total": len(item.key_actions),
                }
            )
        n = max(len(rows), 1)
        full = [r for r in rows if r["card_cited"] and r["actions_found"] == r["actions_total"]]
        return {
            "questions": len(rows),
            "card_cited": sum(1 for r in rows if r["card_cited"]) / n,
            "all_actions_and_card": len(full) / n,
            "action_recall": sum(r["actions_found"] for r in rows)
            / max(sum(r["actions_total"] for r in rows), 1),
            "refused": sum(1 for r in rows if r["refused"]),
            "misses": [
                r["id"] for r in rows if not (r["card_cited"] and r["actions_found"] == r["actions_total"])
            ],
        }


def render_markdown(report: dict[str, Any], pack: dict[str, Any] | None = None) -> str:
    """The human report written to ``eval/reports/latest.md``."""
    lines = [
        "# 评测报告 / Evaluation report",
        "",
        f"Questions: {report['questions']} ({report['answerable']} answerable, "
        f"{report['out_of_scope']} out of scope).",
        "",
    ]
    for split, block in report["splits"].items():
        lines += [
            f"## Split `{split}`",
            "",
            "| system | hit@1 | hit@5 | MRR | nDCG@5 |",
            "|---|---|---|---|---|",
        ]
        for name, m in block["retrieval"].items():
            lines.append(
                f"| {name} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr']:.3f} | {m['ndcg@5']:.3f} |"
            )
        a = block["answers"]
        lines += [
            "",
            "| answer metric | value |",
            "|---|---|",
            f"| first citation is gold | {a['first_citation']:.3f} |",
            f"| gold among citations | {a['gold_among_citations']:.3f} |",
            f"| citation precision | {a['citation_precision']:.3f} |",
            f"| refusal precision | {a['refusal_precision']:.3f} |",
            f"| refusal recall (out-of-scope refused) | {a['refusal_recall']:.3f} |",
            f"| answerable questions refused | {a['answerable_refused']}"
            f" ({a['answerable_refused_rate']:.3f}) |",
            f"| latency p50 / p95 (ms) | {a['latency_ms_p50']:.1f} / {a['latency_ms_p95']:.1f} |",
            "",
        ]
        if a["missed_refusals"] or a["false_refusals"]:
            lines += [
                f"Missed refusals: {', '.join(a['missed_refusals']) or '—'}; "
                f"false refusals: {', '.join(a['false_refusals']) or '—'}",
                "",
            ]
    if pack:
        lines += [
            "## Knowledge-pack questions",
            "",
            f"- questions: {pack['questions']}",
            f"- gold card cited: {pack['card_cited']:.3f}",
            f"- all key actions present and card cited: {pack['all_actions_and_card']:.3f}",
            f"- key-action recall: {pack['action_recall']:.3f}",
            f"- refused: {pack['refused']}",
            "",
        ]
    return "\n".join(lines)
