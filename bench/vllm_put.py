#!/usr/bin/env python3
"""The cost of one put in a vLLM-style media cache, as the cache grows.

A re-statement, written for this benchmark from the description in the
product brief, of how vLLM's opt-in media cache keeps its size limit: every
put writes the file, then scans the whole directory (stat of every entry) to
sum the sizes, dropping expired entries and, when over the limit, the least
recently used ones. It is not vLLM's code.

    vllm_put.py DIR [--sizes 1000,4000,16000,100000] [--puts 20] [--batches 5] [--entry-bytes 4096]

Prints, per size, the same tab-separated line as mediacache-bench:
entries, median/min/max microseconds per put (over batch means), fill seconds.
One cache per size, in DIR/N, is filled by writing files directly (untimed
setup); the timed batches then go round-robin over the sizes.
"""
import argparse
import hashlib
import os
import time

MAX_BYTES = 5120 * 1024 * 1024  # vLLM's default limit
TTL_SECONDS = 24 * 3600  # vLLM's default TTL


def entry_name(url: str) -> str:
    base = url.split("?", 1)[0]
    last = base.rsplit("/", 1)[-1]
    dot = last.rfind(".")
    suffix = last[dot:] if 0 < dot < len(last) - 1 else ""
    return hashlib.sha256(url.encode()).hexdigest()[:20] + suffix


class ScanPerPutCache:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def put(self, url: str, data: bytes) -> None:
        path = os.path.join(self.directory, entry_name(url))
        temp = os.path.join(self.directory, "." + entry_name(url) + ".tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
        self.enforce_limit()

    def enforce_limit(self) -> None:
        now = time.time()
        entries = []
        total = 0
        with os.scandir(self.directory) as listing:
            for item in listing:
                if item.name.startswith("."):
                    continue
                try:
                    info = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if now - info.st_mtime > TTL_SECONDS:
                    self.remove(item.path)
                    continue
                entries.append((info.st_mtime, info.st_size, item.path))
                total += info.st_size
        if total <= MAX_BYTES:
            return
        entries.sort()
        for _, size, path in entries:
            if total <= MAX_BYTES:
                break
            self.remove(path)
            total -= size

    @staticmethod
    def remove(path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--sizes", default="1000,4000,16000,100000")
    parser.add_argument("--puts", type=int, default=20)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--entry-bytes", type=int, default=4096)
    args = parser.parse_args()
    payload = bytearray(args.entry_bytes)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    caches = {size: ScanPerPutCache(os.path.join(args.directory, str(size))) for size in sizes}
    serials = {size: 0 for size in sizes}
    fills = {}

    def next_url(size: int) -> str:
        serials[size] += 1
        payload[:8] = serials[size].to_bytes(8, "little")
        return f"https://bench.invalid/put/{serials[size]}.bin"

    for size in sizes:  # untimed fill: plain files, as vLLM would have left them
        start = time.monotonic()
        while serials[size] < size:
            url = next_url(size)
            with open(os.path.join(caches[size].directory, entry_name(url)), "wb") as handle:
                handle.write(payload)
        fills[size] = time.monotonic() - start
    per_put = {size: [] for size in sizes}
    for _ in range(args.batches):  # round-robin over the sizes, like mediacache-bench
        for size in sizes:
            start = time.monotonic()
            for _ in range(args.puts):
                caches[size].put(next_url(size), bytes(payload))
            per_put[size].append((time.monotonic() - start) / args.puts * 1e6)
    for size in sizes:
        times = sorted(per_put[size])
        print(f"{size}\t{times[len(times) // 2]}\t{times[0]}\t{times[-1]}\t{fills[size]}", flush=True)

if __name__ == "__main__":
    main()
