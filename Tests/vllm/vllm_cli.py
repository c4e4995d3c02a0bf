#!/usr/bin/env python3
"""Run vLLM's own cache code from the command line, so that separate
processes can use it (the concurrency test). Settings come from the
environment, as in vLLM: VLLM_MEDIA_CACHE, VLLM_MEDIA_CACHE_MAX_SIZE_MB,
VLLM_MEDIA_CACHE_TTL_HOURS.

    vllm_cli.py name URL          print vLLM's file name for URL
    vllm_cli.py get URL           bytes to stdout; exit 1 on a miss
    vllm_cli.py put URL [FILE]    store FILE (or stdin)
    vllm_cli.py evict             run vLLM's _maybe_evict
    vllm_cli.py loop --seconds S --urls FILE --seed N
                                  random gets and puts (bodies from bodies.py,
                                  as vLLM would store after a download) until
                                  S seconds pass; prints one JSON report
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bodies  # noqa: E402
import vllm_cache  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="vllm_cli.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("name").add_argument("url")
    sub.add_parser("get").add_argument("url")
    put = sub.add_parser("put")
    put.add_argument("url")
    put.add_argument("file", nargs="?", default="-")
    sub.add_parser("evict")
    loop = sub.add_parser("loop")
    loop.add_argument("--seconds", type=float, required=True)
    loop.add_argument("--urls", required=True)
    loop.add_argument("--seed", type=int, default=0)
    loop.add_argument("--put-ratio", type=float, default=0.35)
    args = p.parse_args(argv)

    conn = vllm_cache.load().connector()
    if not conn.cache_dir:
        print("vllm_cli: VLLM_MEDIA_CACHE is not set or not writable: vLLM's cache is off", file=sys.stderr)
        return 2
    if args.cmd == "name":
        print(conn.name(args.url))
    elif args.cmd == "get":
        data = conn.get(args.url)
        if data is None:
            return 1
        sys.stdout.buffer.write(data)
    elif args.cmd == "put":
        data = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
        conn.put(args.url, data)
    elif args.cmd == "evict":
        conn.evict()
    else:
        return run_loop(conn, args)
    return 0


def run_loop(conn, args) -> int:
    rng = random.Random(args.seed)
    with open(args.urls, encoding="utf-8") as f:
        urls = [line.rstrip("\n") for line in f if line.strip()]
    report = {"gets": 0, "hits": 0, "misses": 0, "puts": 0, "empty_hits": [], "wrong_bytes": [],
              "exceptions": []}
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        url = rng.choice(urls)
        want = bodies.url_body(url)
        try:
            if rng.random() < args.put_ratio:
                conn.put(url, want)  # what vLLM stores after downloading url
                report["puts"] += 1
            else:
                report["gets"] += 1
                got = conn.get(url)
                if got is None:
                    report["misses"] += 1
                else:
                    report["hits"] += 1
                    if got == b"":
                        report["empty_hits"].append(url)
                    elif got != want:
                        report["wrong_bytes"].append({"url": url, "got": len(got), "want": len(want)})
        except Exception:  # vLLM's methods raised: record it, go on
            report["exceptions"].append(traceback.format_exc())
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
