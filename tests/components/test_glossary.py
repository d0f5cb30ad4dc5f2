from pathlib import Path

import pytest

from assistant.components.glossary import Glossary, GlossaryError


def test_load_merge_and_expand(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("电瓶车: [电动自行车]\n居委会: 居民委员会\n", encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text("电瓶车: [非机动车]\n", encoding="utf-8")
    glossary = Glossary.load([first, second, tmp_path / "missing.yaml"])
    assert len(glossary) == 2
    assert glossary.entries["电瓶车"] == ("电动自行车", "非机动车")
    assert glossary.expand("楼道里能给电瓶车充电吗") == ["电动自行车", "非机动车"]
    # Terms already in the question are not repeated.
    assert glossary.expand("居委会和居民委员会") == []
    assert {"电瓶车", "电动自行车", "居民委员会"} <= glossary.words()


def test_malformed_entry_names_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("电瓶车: {a: 1}\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"bad\.yaml.*电瓶车"):
        Glossary.load([bad])
    worse = tmp_path / "worse.yaml"
    worse.write_text("- 只是一个列表\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"worse\.yaml"):
        Glossary.load([worse])
