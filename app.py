"""Start the web app: ``python app.py [--host H] [--port P] [--index DIR]``.

A thin shell: parse the flags, build the settings and the one assistant of this process,
bring the index up to date (progress in the terminal), load the models, then serve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="韧性城市知识助手的网页界面")
    parser.add_argument("--host", help="监听地址（默认 127.0.0.1；RESILIENCE_HOST）")
    parser.add_argument("--port", type=int, help="端口（默认 7860；RESILIENCE_PORT）")
    parser.add_argument("--index", type=Path, help="索引目录（默认 index/；RESILIENCE_INDEX_DIR）")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from assistant.factory import build_assistant
    from assistant.settings import load_settings
    from assistant.web import build_ui, launch_options, prepare
    from assistant.web.replica import GenerationPoller, Readiness, health_route

    try:
        settings = load_settings(host=args.host, port=args.port, index_dir=args.index)
        launch_options(settings)  # checks RESILIENCE_AUTH and the rest before any work
    except ValueError as exc:
        print(f"配置有误：{exc}", file=sys.stderr)
        return 2
    assistant = build_assistant(settings)
    readiness = Readiness()
    routes = [health_route(assistant, readiness)]
    if settings.web_openai_routes:
        from assistant.integrations.openai_server import ChatEndpoint

        routes += ChatEndpoint(assistant).routes()
    options = launch_options(settings, routes)
    prepare(assistant, ingest=settings.ingest_on_start)
    readiness.mark_ready()
    poller = GenerationPoller(assistant.lexical_keeper.current, settings.generation_poll_s)
    poller.start()
    demo = build_ui(assistant)
    demo.launch(**options)  # returns once the server listens (prevent_thread_lock)
    print(startup_message(settings.host, settings.port), file=sys.stderr, flush=True)
    try:
        demo.block_thread()  # until Ctrl+C
    finally:
        poller.stop()
        demo.close()
    return 0


def startup_message(host: str, port: int) -> str:
    """The one line a user needs: where to open the app, and who else can reach it."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host.strip("[]")
    url = f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"
    if host.strip("[]") in ("127.0.0.1", "::1", "localhost"):
        where = "仅本机可访问，不会创建公网链接"
    else:
        where = f"监听 {host}，局域网内的其他设备也可访问，请确认已启用登录（RESILIENCE_AUTH）"
    return f"韧性城市知识助手已启动：{url}（在浏览器中打开；{where}；按 Ctrl+C 退出）"


if __name__ == "__main__":
    sys.exit(main())
