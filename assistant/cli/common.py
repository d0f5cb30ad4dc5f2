"""Helpers shared by the CLI sub-commands (output only; no logic of their own)."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(obj: Any) -> None:
    """Print one JSON object on one line, UTF-8, Chinese unescaped."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()
