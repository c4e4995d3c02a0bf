"""Group 15: vLLM's activity in `stats` (issue #11, section 5), and `fetch`
of a fresh entry counted as a hit.

The directory is served by vLLM's own code: `_put_cached_bytes` stores, and
`_get_cached_bytes` hits (its `touch()` sets the mtime). The binary counts an
entry as reused when its mtime is more than 1 s after its statx birth time;
the test makes that deterministic by letting vLLM's get run 2.5 s after its
put, and checks the gap on disk before relying on it.
"""

from __future__ import annotations

import os
import time

import pytest

import bodies
import support

support.vllm_or_skip()

URLS = [f"https://cdn.example/s/{i}.webp" for i in range(5)]
POISONED_URL = "https://cdn.example/s/poisoned.webp"


def _serve(c) -> dict[str, str]:
    """vLLM stores 5 entries; 2.5 s later it hits 2 of them (URLS[0:2]);
    URLS[2] was last used 2 hours ago, URLS[3] 2 days ago, URLS[4] only stored."""
    conn = c.connector()
    for url in URLS:
        conn.put(url, bodies.body_for(url))
    time.sleep(2.5)
    for url in URLS[:2]:
        assert conn.get(url) == bodies.body_for(url), f"vLLM's get missed {url}"
    c.age(conn.name(URLS[2]), 2 * 3600)
    c.age(conn.name(URLS[3]), 2 * 86400)
    names = {url: conn.name(url) for url in URLS}
    for url in URLS[:2]:
        born = support.birth_time(c.dir / names[url])
        if born is not None:
            assert (c.dir / names[url]).stat().st_mtime > born + 1, "precondition: vLLM's hit is > 1 s after the store"
    return names


def test_on_disk_activity(cache):
    c = cache
    names = _serve(c)
    has_birth = support.birth_time(c.dir / names[URLS[4]]) is not None
    s = c.stats_json("--ttl", "7d")
    d = s["on_disk"]
    assert s["entries"] == 5, s
    assert d["used_last_hour"] == 3, f"used in the last hour: 2 hits and 1 store, stats says {d}"
    assert d["used_last_day"] == 4, f"used in the last day: those 3 and one used 2 h ago, stats says {d}"
    sizes = {u: len(bodies.body_for(u)) for u in URLS}
    assert d["bytes_used_last_hour"] == sizes[URLS[0]] + sizes[URLS[1]] + sizes[URLS[4]], d
    assert d["bytes_used_last_day"] == d["bytes_used_last_hour"] + sizes[URLS[2]], d
    if has_birth:
        assert d["reused_entries"] == 2, f"vLLM hit 2 entries after storing them, stats says {d}"
    else:
        assert d["reused_entries"] is None, f"no birth times on this file system, yet reused_entries={d}"
    assert d["poisoned_entries"] == 0 and s["poisoned_entries"] == 0, s

    # vLLM's get racing a removal leaves a poisoned 0-byte file.
    conn = c.connector()
    conn.put(POISONED_URL, bodies.body_for(POISONED_URL))
    poisoned = conn.name(POISONED_URL)
    got = support.vllm_get_racing_removal(c, POISONED_URL, lambda: c.mc_ok("evict", "--key", poisoned))
    assert got == b"" and (c.dir / poisoned).stat().st_size == 0
    s = c.stats_json("--ttl", "7d")
    assert s["on_disk"]["poisoned_entries"] == 1, s
    assert s["poisoned_entries"] == 1, s
    if has_birth:
        assert s["on_disk"]["reused_entries"] == 2, s


def test_stored_last_day_unknown_without_birth_times(sidecar_cache):
    """Where the file system keeps no birth time (ramfs), the text says
    "stored in the last day: unknown"; the JSON must not say 0."""
    c = sidecar_cache
    conn = c.connector()
    for url in URLS:
        conn.put(url, bodies.body_for(url))
    assert support.birth_time(c.dir / conn.name(URLS[0])) is None, "precondition: ramfs keeps no birth times"
    text = c.mc_ok("stats").text
    d = c.stats_json()["on_disk"]
    assert d["reused_entries"] is None, d
    line = next(l for l in text.splitlines() if "stored in the last day" in l)
    want = None if "unknown" in line else 5
    assert d["stored_last_day"] == want, (
        f"text says {line.strip()!r}, JSON says stored_last_day={d['stored_last_day']} (5 were stored)")


def test_text_labels(cache):
    c = cache
    _serve(c)
    text = c.mc_ok("stats").text
    lines = text.splitlines()

    def header_of(label: str) -> str:
        i = next((k for k, l in enumerate(lines) if l.strip().startswith(label)), None)
        assert i is not None, f"no {label!r} line in stats:\n{text}"
        for k in range(i - 1, -1, -1):
            if lines[k] and not lines[k].startswith(" "):
                return lines[k]
        raise AssertionError(f"no heading above {label!r}:\n{text}")

    for label in ("hits:", "misses:", "stored:", "evicted:"):
        h = header_of(label)
        assert "exact" in h and "counted" in h, f"the counter {label!r} is under {h!r}, not labelled exact"
    for label in ("used in the last hour:", "used in the last day:", "used again since stored:"):
        h = header_of(label)
        assert "seen on disk" in h and "vLLM" in h, f"{label!r} is under {h!r}, not labelled seen on disk"


def test_fetch_of_fresh_entry_counts_a_hit(cache, origin):
    c = cache
    stored_by_vllm = origin.url("/counters/vllm.png")
    c.connector().put(stored_by_vllm, bodies.url_body(stored_by_vllm))
    before = c.stats_json()
    origin.clear()
    r = c.mc("fetch", "--json", stored_by_vllm)
    assert r.code == 0, r.describe()
    assert r.json_lines()[0]["status"] == "cached", r.describe()
    assert origin.paths() == [], f"fetch of a fresh entry went to the origin: {origin.paths()}"
    after = c.stats_json()
    assert after["hits"] == before["hits"] + 1, f"fetch found vLLM's entry fresh: hits {before['hits']} -> {after['hits']}"
    assert after["misses"] == before["misses"], after

    url = origin.url("/counters/mc.png")
    r = c.mc("fetch", "--json", url)
    assert r.code == 0 and r.json_lines()[0]["status"] == "fetched", r.describe()
    mid = c.stats_json()
    assert mid["misses"] == after["misses"] + 1, f"a fetch that downloads is a miss: {after['misses']} -> {mid['misses']}"
    assert mid["hits"] == after["hits"], mid
    r = c.mc("fetch", "--json", url)
    assert r.code == 0 and r.json_lines()[0]["status"] == "cached", r.describe()
    end = c.stats_json()
    assert end["hits"] == mid["hits"] + 1, f"refetch of a fresh entry: hits {mid['hits']} -> {end['hits']}"
    assert end["misses"] == mid["misses"], end
