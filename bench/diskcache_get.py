#!/usr/bin/env python3
"""One-shot Python diskcache get, the peer of `mediacache get URL > /dev/null`.

    diskcache_get.py DIR URL     writes the value stored under URL to stdout
    diskcache_get.py DIR URL --put FILE   stores FILE's bytes under URL first (setup)
"""
import sys

import diskcache


def main() -> int:
    directory, url = sys.argv[1], sys.argv[2]
    with diskcache.Cache(directory) as cache:
        if len(sys.argv) == 5 and sys.argv[3] == "--put":
            with open(sys.argv[4], "rb") as handle:
                cache.set(url, handle.read())
            return 0
        value = cache.get(url)
        if value is None:
            return 1
        sys.stdout.buffer.write(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
