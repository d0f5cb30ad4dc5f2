"""Stand-in embedding child for the timeout test: says it is ready, then never answers."""

from __future__ import annotations

import sys
import time

sys.stdout.buffer.write(b'{"ready": true}\n')
sys.stdout.buffer.flush()
for _line in sys.stdin.buffer:
    time.sleep(3600)
