"""What the knowledge base cannot answer, decided before retrieval from ``corpus/scope.yaml``.

Lexical evidence alone cannot tell "深圳暴雨红色预警时学校停课吗" from its Shanghai twin: the
words match the Shanghai regulation perfectly. Named places outside the indexed jurisdictions,
writing tasks, real-time facts and product recommendations are therefore declined by rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Rule group → the reason shown to the user.
_REASONS = {
    "outside_places": "问题涉及的地区（{hit}）不在知识库收录的法规范围内（上海市、北京市部分法规和国家法律）",
    "task_requests": "写作、翻译等任务不在本助手的服务范围内，本助手只摘录和引用知识库中的资料",
    "real_time": "天气预报、价格等实时信息不在知识库中",
    "recommendations": "产品或商家推荐不在知识库中",
}


@dataclass
class ScopeRules:
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ScopeRules:
        if not path.is_file():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path.name}: 顶层应为“规则组: [词语, …]”的映射")
        return cls({str(k): tuple(str(w) for w in (v or [])) for k, v in data.items()})

    def out_of_scope(self, question: str, indexed_titles: Iterable[str] = ()) -> str | None:
        """The reason a question is out of scope, or None.

        A place stops being "outside" as soon as a document whose title names it is indexed.
        """
        titles = tuple(indexed_titles)
        for group, words in self.groups.items():
            hit = next(
                (
                    w
                    for w in words
                    if w and w in question and not (group == "outside_places" and any(w in t for t in titles))
                ),
                None,
            )
            if hit:
                return _REASONS.get(group, "问题不在知识库的范围内").format(hit=hit)
        return None
