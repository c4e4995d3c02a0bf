"""Group 14: the entry-count limit (issue #11, section 4): `--max-entries N`
and `MEDIACACHE_MAX_ENTRIES`, least recently used first, over directories
vLLM's own `_put_cached_bytes` filled. `prune` goes down to N; a write that
goes over N evicts down to the low-water mark, 90 % of N (rounded down), never
the entry it just wrote."""

from __future__ import annotations

import math
import os
import time

import pytest

import bodies
import support

support.vllm_or_skip()


def _vllm_fill(c, n: int = 10, prefix: str = "v") -> list[str]:
    """n entries stored by vLLM; returns their names oldest use first (mtimes
    set 1000 s, 990 s, ... ago, so the LRU order is explicit)."""
    conn = c.connector()
    names = []
    now = time.time()
    for i in range(n):
        url = f"https://cdn.example/{prefix}/{i}.png"
        conn.put(url, bodies.body_for(url, max_size=5000))
        name = conn.name(url)
        t = now - 1000 + i * 10
        os.utime(c.dir / name, (t, t))
        names.append(name)
    return names


def _entries(c) -> set[str]:
    return {n for n in c.data_files() if not n.startswith("tmp")}


@pytest.mark.parametrize("how", ["flag", "env"])
def test_prune_keeps_the_most_recently_used(cache, how):
    c = cache
    names = _vllm_fill(c)
    if how == "flag":
        r = c.mc("prune", "--json", "--max-entries", "3")
    else:
        r = c.mc("prune", "--json", env={"MEDIACACHE_MAX_ENTRIES": "3"})
    assert r.code == 0, r.describe()
    left = _entries(c)
    assert left == set(names[-3:]), (f"prune --max-entries 3 left {sorted(left)}; the 3 most recently used are "
                                     f"{sorted(names[-3:])}")
    conn = c.connector()
    for i in range(7, 10):
        url = f"https://cdn.example/v/{i}.png"
        assert conn.get(url) == bodies.body_for(url, max_size=5000), f"vLLM misses {url} after prune"


def test_prune_reports_what_the_count_limit_removed(cache):
    """The JSON report of `prune` counts the entries it removed for the
    count limit, as it does for the size limit."""
    c = cache
    _vllm_fill(c)
    r = c.mc("prune", "--json", "--max-entries", "3")
    assert r.code == 0, r.describe()
    report = r.json()
    assert report["entries_before"] == 10 and report["entries"] == 3, report
    assert report["removed_entries"] == 7, (
        f"prune removed 7 entries for --max-entries 3 but reports removed_entries={report['removed_entries']}: "
        f"{report}")


def test_prune_within_limit_removes_nothing(cache):
    c = cache
    names = _vllm_fill(c)
    r = c.mc("prune", "--json", "--max-entries", "10")
    assert r.code == 0, r.describe()
    assert _entries(c) == set(names)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_put_evicts_to_low_water(cache, how):
    c = cache
    limit = 10
    names = _vllm_fill(c, limit)
    low = math.floor(limit * 0.9)
    args = ["--max-entries", str(limit)] if how == "flag" else []
    env = {"MEDIACACHE_MAX_ENTRIES": str(limit)} if how == "env" else None
    written = []
    for i in range(4):
        url = f"https://cdn.example/mc/{i}.png"
        r = c.mc("put", *args, url, "-", stdin=bodies.body_for(url), env=env)
        assert r.code == 0, r.describe()
        written.append(c.connector().name(url))
        left = _entries(c)
        assert len(left) <= limit, f"after put #{i} {len(left)} entries, over the limit {limit}"
        assert written[-1] in left, "put evicted the entry it just wrote"
        if i == 0:
            # 10 + 1 > 10: evict down to 90 % of 10, least recently used first.
            assert len(left) == low, f"put over the limit left {len(left)} entries, the low-water mark is {low}"
            assert left == set(names[limit - low + 1:]) | {written[0]}, (
                f"put evicted other than the least recently used: gone {sorted(set(names) - left)}")
    for i, name in enumerate(written):
        url = f"https://cdn.example/mc/{i}.png"
        assert c.connector().get(url) == bodies.body_for(url), f"vLLM misses the entry mediacache put ({name})"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_fetch_keeps_the_count(cache, origin, how):
    c = cache
    limit = 10
    names = _vllm_fill(c, limit)
    urls = [origin.url(f"/max-entries/{how}/{i}.jpg") for i in range(5)]
    args = ["--max-entries", str(limit)] if how == "flag" else []
    env = {"MEDIACACHE_MAX_ENTRIES": str(limit)} if how == "env" else None
    r = c.mc("fetch", "--json", "-j", "2", *args, *urls, env=env)
    assert r.code == 0, r.describe()
    assert all(row["status"] == "fetched" for row in r.json_lines()), r.describe()
    left = _entries(c)
    assert len(left) <= limit, f"after fetch {len(left)} entries, over the limit {limit}"
    fetched = {c.connector().name(u) for u in urls}
    assert fetched <= left, f"fetch evicted what it fetched: {sorted(fetched - left)}"
    # What went is the least recently used of vLLM's entries.
    gone = [n for n in names if n not in left]
    assert gone == names[:len(gone)], f"fetch evicted {gone}, not the least recently used first"
    for u in urls:
        assert c.connector().get(u) == bodies.url_body(u)
