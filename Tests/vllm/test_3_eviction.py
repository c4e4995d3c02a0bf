"""Group 3: vLLM's own `_maybe_evict` over a directory mediacache filled, and
mediacache `prune` over a directory vLLM filled, against vLLM's eviction of a
copy of it (same files, same mtimes)."""

from __future__ import annotations

import os
import random
import time

import pytest

import bodies
import support

support.vllm_or_skip()

KIB = 1024


def _mc_fill(c, n: int, size: int) -> list[str]:
    urls = [f"https://cdn.example/mc/{i}.png" for i in range(n)]
    for i, url in enumerate(urls):
        c.mc_ok("put", url, "-", stdin=bodies.body_for(url, size, size))
    return urls


def test_vllm_evict_leaves_dot_files_alone_and_uncounted(cache):
    c = cache
    urls = _mc_fill(c, 4, 300 * KIB)
    c.mc_ok("stats")  # make sure the state file exists
    names = [c.connector().name(u) for u in urls]
    for i, name in enumerate(names):
        c.age(name, 100 - i)
    dots_before = c.dot_tree()
    assert dots_before, "mediacache left no dot files to test with"
    # 4 x 300 KiB = 1200 KiB: under a 2 MiB limit nothing may go, whatever
    # mediacache keeps under .mediacache/ (sidecars, state, locks).
    c.connector(VLLM_MEDIA_CACHE_MAX_SIZE_MB="2").evict()
    assert sorted(c.data_files()) == sorted(names), "vLLM evicted mediacache entries under its limit"
    assert c.dot_tree() == dots_before, "vLLM's eviction touched mediacache's dot files"
    # A 1 MiB limit: vLLM removes the oldest until 3 x 300 KiB remain.
    c.connector(VLLM_MEDIA_CACHE_MAX_SIZE_MB="1").evict()
    assert sorted(c.data_files()) == sorted(names[1:]), "vLLM's LRU over mediacache's entries"
    dots_after = c.dot_tree()
    lost = [p for p in dots_before if p not in dots_after and not p.startswith(".mediacache/meta/")]
    assert not lost, f"vLLM's eviction removed mediacache's files {lost}"
    # What is left reads back in mediacache, and its accounting agrees.
    for u in urls[1:]:
        r = c.mc("get", u)
        assert r.code == 0 and r.out == bodies.body_for(u, 300 * KIB, 300 * KIB), r.describe()
    s = c.stats_json()
    assert s["entries"] == 3 and s["bytes"] == 3 * 300 * KIB, s


def _vllm_fill(c, rng: random.Random, n: int = 14) -> dict[str, float]:
    """n entries of 100..400 KiB written by vLLM, with distinct mtimes, two
    of them older than the TTL; returns name -> age in seconds."""
    conn = c.connector()
    ages = {}
    for i in range(n):
        url = f"https://cdn.example/v/{i}.jpg"
        size = rng.randint(100, 400) * KIB
        conn.put(url, bodies.body_for(url, size, size))
        ages[conn.name(url)] = float(rng.randint(60, 20_000) * 3 + i)
    names = list(ages)
    ages[names[3]] = 25 * 3600.0
    ages[names[9]] = 30 * 3600.0
    now = time.time()
    for name, age in ages.items():
        t = now - age
        os.utime(c.dir / name, (t, t))
    return ages


@pytest.mark.parametrize("limit_mb", [1, 2, 3])
@pytest.mark.parametrize("how", ["--max-size", "VLLM_MEDIA_CACHE_MAX_SIZE_MB"])
def test_prune_keeps_what_vllm_keeps(cache, tmp_path, limit_mb, how):
    c = cache
    rng = random.Random(limit_mb)
    _vllm_fill(c, rng)
    copy = tmp_path / "vllm-copy"
    support.copy_dir_with_times(c.dir, copy)
    vllm_copy = c.vllm.connector({"VLLM_MEDIA_CACHE": str(copy),
                                  "VLLM_MEDIA_CACHE_MAX_SIZE_MB": str(limit_mb)})
    vllm_copy.evict()
    want = sorted(n for n in os.listdir(copy) if not n.startswith("."))
    if how == "--max-size":
        r = c.mc("prune", "--json", "--max-size", f"{limit_mb}M")
    else:
        r = c.mc("prune", "--json", env={"VLLM_MEDIA_CACHE_MAX_SIZE_MB": str(limit_mb)})
    assert r.code == 0, r.describe()
    got = sorted(c.data_files())
    assert got == want, (f"limit {limit_mb} MiB: mediacache prune kept {len(got)} entries, vLLM's eviction "
                         f"of a copy kept {len(want)}; only mediacache: {sorted(set(got) - set(want))}, "
                         f"only vLLM: {sorted(set(want) - set(got))}")


def test_vllm_evict_expired_mediacache_entries(cache):
    c = cache
    urls = _mc_fill(c, 3, 10 * KIB)
    names = [c.connector().name(u) for u in urls]
    c.age(names[0], 2 * 3600)
    c.connector(VLLM_MEDIA_CACHE_TTL_HOURS="1").evict()
    assert sorted(c.data_files()) == sorted(names[1:])
    r = c.mc("verify")
    assert r.code == 0, "after vLLM expired a mediacache entry, verify must exit 0: " + r.describe()
    l = {row["key"] for row in c.list_json()}
    assert l == set(names[1:]), f"list after vLLM's expiry: {sorted(l)}"
