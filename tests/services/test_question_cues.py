from pathlib import Path

from assistant.services.query_analysis import QuestionCue
from assistant.settings import PROJECT_ROOT


def test_bundled_cues_load_and_match() -> None:
    cues = {c.name: c for c in QuestionCue.load(PROJECT_ROOT / "corpus" / "question_cues.yaml")}
    assert {"deadline", "permission", "responsibility", "money", "reporting"} <= set(cues)
    assert cues["deadline"].asked_by("新买的电瓶车多久之内要去上牌照")
    assert cues["permission"].asked_by("电瓶车能不能推进电梯")
    assert not cues["money"].asked_by("台风来了怎么办")
    assert all(c.question and c.answer for c in cues.values())


def test_missing_file_means_no_cues(tmp_path: Path) -> None:
    assert QuestionCue.load(tmp_path / "none.yaml") == []
