"""``deploy-nginx`` prints a config Debian's nginx accepts (``nginx -t``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.local_deployment import find_nginx
from assistant.settings import PROJECT_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "deploy-nginx", *args],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_printed_config_passes_nginx_t(tmp_path: Path) -> None:
    done = _run("--listen", "127.0.0.1:18080", "--replica", "10.0.0.11:7861", "--replica", "10.0.0.12:7861")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("server 10.0.0.12:7861 max_fails=1 fail_timeout=5s;") == 2
    assert "listen 127.0.0.1:18080;" in done.stdout
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (make test installs Debian's nginx-light)")
    (tmp_path / "resilience.conf").write_text(done.stdout, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ include {tmp_path / 'resilience.conf'}; }}\n",
        encoding="utf-8",
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert check.returncode == 0 and "syntax is ok" in check.stderr, check.stderr


def test_a_replica_without_a_port_is_refused_by_name() -> None:
    done = _run("--replica", "10.0.0.11:7861", "--replica", "replica-b")
    assert done.returncode == 2
    assert done.stderr.strip() == "副本地址应为 host:port：replica-b"
