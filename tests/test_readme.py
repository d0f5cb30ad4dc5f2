"""The README is the user's guide: its commands and configuration table must stay true."""

from __future__ import annotations

import re

from assistant.cli import build_parser
from assistant.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_shows_the_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quick and "make test" in quick
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"RESILIENCE_{name.upper()}" in README, f"README lacks RESILIENCE_{name.upper()}"


def test_every_documented_command_exists() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    known = set(sub.choices)  # type: ignore[arg-type]
    used = set(re.findall(r"python -m assistant ([a-z][a-z-]*)", README))
    assert used and used <= known, used - known
