"""The multi-process deployment of ``deploy/`` started on one machine, on loopback.

One Chroma server, one ingest worker (a CLI run), N read-only web replicas and nginx in front,
each a real process with its own log file. ``bench serve`` measures through it and the
deployment tests drive it; both need the same start-up order and waits, so they live here.

The shared manifest is PostgreSQL when ``manifest_url`` is given; otherwise the worker and the
replicas share one index folder (a SQLite manifest and the published lexical index on one disk,
which is enough on a single machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from assistant.settings import PROJECT_ROOT

NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "resilience.conf.template"
_NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


class DeploymentError(RuntimeError):
    """A process of the deployment did not start or answer in time; names it and its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_nginx() -> str | None:
    """Debian's nginx binary, or None (``make test`` installs it; see the Makefile)."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in _NGINX_CANDIDATES if Path(path).is_file()), None)


def render_nginx(listen: str, replicas: list[str], body_max: str = "20m") -> str:
    """``deploy/nginx/resilience.conf.template`` for these replica addresses (``host:port``)."""
    if not replicas:
        raise ValueError("至少需要一个副本地址（host:port）")
    api = "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in replicas)
    ui = "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in replicas)
    template = Template(NGINX_TEMPLATE.read_text(encoding="utf-8"))
    # safe_substitute: nginx's own $variables ($remote_addr, $http_host …) stay as they are
    return template.safe_substitute(LISTEN=listen, API_SERVERS=api, UI_SERVERS=ui, BODY_MAX=body_max)


def http_json(url: str, body: dict[str, Any] | None = None, timeout: float = 30) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) and return the status and the decoded JSON body."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class LocalDeployment:
    """Start with :meth:`start_chroma`, :meth:`ingest`, :meth:`start_replica` ×N, :meth:`start_nginx`."""

    root: Path
    manifest_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    replicas: dict[int, Process] = field(default_factory=dict)
    chroma: Process | None = None
    nginx: Process | None = None
    nginx_port: int = 0

    # --- environments ------------------------------------------------------------------
    def shared_env(self) -> dict[str, str]:
        """What every process of the deployment shares (the content of ``resilience.env``)."""
        if self.chroma is None:
            raise DeploymentError("Chroma 服务器尚未启动")
        env = {key: value for key, value in os.environ.items() if not key.startswith("RESILIENCE_")}
        env.update(
            ANONYMIZED_TELEMETRY="False",
            PYTHONUNBUFFERED="1",
            RESILIENCE_CHROMA_HOST="127.0.0.1",
            RESILIENCE_CHROMA_PORT=str(self.chroma.port),
            RESILIENCE_LEXICAL_DIR=str(self.root / "lexical"),
        )
        if self.manifest_url:
            env["RESILIENCE_MANIFEST_URL"] = self.manifest_url
        env.update(self.env)
        return env

    def _index_dir(self, role: str) -> Path:
        # With a PostgreSQL manifest every process has its own local folder, as on many machines.
        return self.root / (f"index-{role}" if self.manifest_url else "index")

    # --- processes ---------------------------------------------------------------------
    def _spawn(self, name: str, command: list[str], env: dict[str, str], port: int) -> Process:
        log = self.root / f"{name}.log"
        handle = log.open("ab")
        try:
            popen = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            handle.close()
        return Process(name, popen, log, port)

    def start_chroma(self, timeout_s: float = 90) -> Process:
        chroma = Path(sys.executable).parent / "chroma"
        port = free_port()
        command = [str(chroma), "run", "--path", str(self.root / "chroma-data"), "--host", "127.0.0.1"]
        command += ["--port", str(port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.chroma = self._spawn("chroma", command, env, port)
        self._wait(self.chroma, f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout_s)
        return self.chroma

    def ingest(self, *paths: Path, prune: bool = True, timeout_s: float = 900) -> dict[str, Any]:
        """One run of the ingest worker (the only writer); returns its ``--json`` report."""
        env = self.shared_env()
        env["RESILIENCE_INDEX_DIR"] = str(self._index_dir("worker"))
        command = [sys.executable, "-m", "assistant", "ingest", *map(str, paths), "--json"]
        if prune:
            command.append("--prune")
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=timeout_s, check=False
        )
        if done.returncode not in (0, 1):
            raise DeploymentError(f"ingest 失败（退出码 {done.returncode}）：{done.stderr.decode()[-800:]}")
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    def start_replica(self, number: int, timeout_s: float = 300) -> Process:
        """Replica ``number`` (re)started on its port; waits until ``/healthz`` says ready."""
        old = self.replicas.get(number)
        port = old.port if old is not None else free_port()
        env = self.shared_env()
        env.update(
            RESILIENCE_INDEX_DIR=str(self._index_dir(f"replica{number}")),
            RESILIENCE_DATA_DIR=str(self.root / f"data-replica{number}"),
            RESILIENCE_PORT=str(port),
            RESILIENCE_INGEST_ON_START="false",
            RESILIENCE_LEXICAL_REBUILD="false",
            RESILIENCE_GENERATION_POLL_S=env.get("RESILIENCE_GENERATION_POLL_S", "1"),
            RESILIENCE_WEB_OPENAI_ROUTES="true",
            RESILIENCE_API_RATE_PER_MINUTE="0",
        )
        replica = self._spawn(f"replica{number}", [sys.executable, "app.py"], env, port)
        self.replicas[number] = replica
        self._wait(replica, f"http://127.0.0.1:{port}/healthz", timeout_s)
        return replica

    def kill_replica(self, number: int) -> None:
        """SIGKILL, as a crash or an OOM kill would: no graceful shutdown."""
        replica = self.replicas[number]
        if replica.alive():
            os.killpg(replica.popen.pid, signal.SIGKILL)
            replica.popen.wait(timeout=30)

    def start_nginx(self, timeout_s: float = 30) -> Process:
        nginx = find_nginx()
        if nginx is None:
            raise DeploymentError("未找到 nginx（Debian：apt-get install nginx-light）")
        self.nginx_port = free_port()
        conf_dir = self.root / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (conf_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        addresses = [f"127.0.0.1:{replica.port}" for _, replica in sorted(self.replicas.items())]
        (conf_dir / "resilience.conf").write_text(
            render_nginx(f"127.0.0.1:{self.nginx_port}", addresses), encoding="utf-8"
        )
        temp = " ".join(
            f"{directive} {conf_dir / 'tmp' / sub};"
            for directive, sub in (
                ("client_body_temp_path", "body"),
                ("proxy_temp_path", "proxy"),
                ("fastcgi_temp_path", "fastcgi"),
                ("uwsgi_temp_path", "uwsgi"),
                ("scgi_temp_path", "scgi"),
            )
        )
        main = (
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\npid {conf_dir / 'nginx.pid'};\n"
            + f"error_log {conf_dir / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  access_log off;\n  {temp}\n  include {conf_dir / 'resilience.conf'};\n}}\n"
        )
        (conf_dir / "nginx.conf").write_text(main, encoding="utf-8")
        command = [nginx, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf"), "-g", "daemon off;"]
        self.nginx = self._spawn("nginx", command, dict(os.environ), self.nginx_port)
        self._wait(self.nginx, f"http://127.0.0.1:{self.nginx_port}/healthz", timeout_s)
        return self.nginx

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def _wait(self, process: Process, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not process.alive():
                raise DeploymentError(f"{process.name} 已退出（{process.log}）：\n{process.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.3)
        raise DeploymentError(f"{process.name} 在 {timeout_s:g} 秒内未就绪（{url}）：\n{process.tail()}")

    def close(self) -> None:
        """Stop everything this deployment started (nginx first, Chroma last)."""
        processes = [self.nginx, *self.replicas.values(), self.chroma]
        for process in processes:
            if process is not None and process.alive():
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in processes:
            if process is None:
                continue
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)

    def __enter__(self) -> LocalDeployment:
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
