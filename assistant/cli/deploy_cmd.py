"""``deploy-nginx``: print the nginx config of ``deploy/`` for a list of replica addresses."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "deploy-nginx",
        help="生成多副本部署的 nginx 配置（输出到标准输出）",
        description=(
            "按 deploy/nginx/resilience.conf.template 生成 nginx 配置：/v1 与 /healthz 轮询并失败重试，"
            "网页按客户端地址固定到同一副本（Gradio 队列需要）。"
        ),
    )
    parser.add_argument("--listen", default="80", help="nginx 监听的地址或端口（默认 80）")
    parser.add_argument(
        "--replica", action="append", required=True, metavar="HOST:PORT", help="副本地址（可重复）"
    )
    parser.add_argument("--body-max", default="20m", help="请求体上限（默认 20m，与上传上限一致）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.cli.local_deployment import render_nginx

    bad = [r for r in args.replica if ":" not in r or not r.rsplit(":", 1)[1].isdigit()]
    if bad:
        print(f"副本地址应为 host:port：{', '.join(bad)}", file=sys.stderr)
        return 2
    sys.stdout.write(render_nginx(args.listen, list(args.replica), args.body_max))
    return 0
