"""Group 4: TTL agreement both ways. vLLM: expired when now - mtime > ttl
(strict), `_get_cached_bytes` then deletes it and misses."""

from __future__ import annotations

import pytest

import bodies
import support

support.vllm_or_skip()

MARGIN = 20.0  # seconds either side of the TTL; far more than a command takes


@pytest.mark.parametrize("ttl_hours", ["1", "0.5", "2.25"])
def test_mediacache_entries_expire_for_vllm(cache, ttl_hours):
    c = cache
    ttl = float(ttl_hours) * 3600
    past, within = "https://cdn.example/t/past.png", "https://cdn.example/t/within.png"
    for u in (past, within):
        c.mc_ok("put", u, "-", stdin=bodies.body_for(u))
    conn = c.connector(VLLM_MEDIA_CACHE_TTL_HOURS=ttl_hours)
    c.age(conn.name(past), ttl + MARGIN)
    c.age(conn.name(within), ttl - MARGIN)
    # mediacache's own view first (stats does not touch): one expired.
    s = c.stats_json(env={"VLLM_MEDIA_CACHE_TTL_HOURS": ttl_hours})
    assert s["ttl_seconds"] == pytest.approx(ttl), s
    assert s["expired_entries"] == 1, f"stats: {s['expired_entries']} expired, vLLM's rule gives 1"
    assert conn.get(past) is None, "vLLM served an entry mediacache wrote that is past the TTL"
    assert conn.name(past) not in c.data_files(), "vLLM's get should have removed the expired entry"
    assert conn.get(within) == bodies.body_for(within), "vLLM missed an entry still within the TTL"


@pytest.mark.parametrize("ttl_hours", ["1", "0.5", "2.25"])
@pytest.mark.parametrize("how", ["env", "--ttl"])
def test_vllm_entries_expire_for_mediacache(cache, ttl_hours, how):
    c = cache
    ttl = float(ttl_hours) * 3600
    conn = c.connector(VLLM_MEDIA_CACHE_TTL_HOURS=ttl_hours)
    urls = {f"https://cdn.example/t/{k}.jpg": age for k, age in
            (("p1", ttl + MARGIN), ("p2", ttl + 3 * MARGIN), ("w1", ttl - MARGIN), ("w2", 1.0))}
    for u in urls:  # all stored first: each vLLM put expires what is past its TTL
        conn.put(u, bodies.body_for(u))
    for u, age in urls.items():
        c.age(conn.name(u), age)
    if how == "env":
        env, flags = {"VLLM_MEDIA_CACHE_TTL_HOURS": ttl_hours}, []
    else:
        env, flags = {}, ["--ttl", f"{int(round(ttl))}s"]
    s = c.stats_json(*flags, env=env)
    assert s["expired_entries"] == 2, f"stats: {s['expired_entries']} expired, vLLM's rule gives 2"
    for u, age in urls.items():
        r = c.mc("get", *flags, u, env=env)
        if age > ttl:
            assert r.code == 1, f"mediacache get served vLLM's entry {age - ttl:+.0f} s past the TTL: " + r.describe()
            assert conn.name(u) not in c.data_files(), "an expired entry is removed by the get that finds it"
        else:
            assert r.code == 0 and r.out == bodies.body_for(u), (
                f"mediacache get missed vLLM's entry {ttl - age:.0f} s within the TTL: " + r.describe())


def test_prune_expires_what_vllm_expires(cache):
    c = cache
    conn = c.connector(VLLM_MEDIA_CACHE_TTL_HOURS="1")
    ages = [3600 + MARGIN, 3600 - MARGIN, 7200, 10, 3600 + 2 * MARGIN]
    names = []
    for i in range(len(ages)):
        u = f"https://cdn.example/t/prune{i}.gif"
        conn.put(u, bodies.body_for(u))
        names.append(conn.name(u))
    for name, age in zip(names, ages):
        c.age(name, age)
    r = c.mc("prune", "--json", env={"VLLM_MEDIA_CACHE_TTL_HOURS": "1"})
    assert r.code == 0, r.describe()
    want = {n for n, a in zip(names, ages) if a <= 3600}
    assert set(c.data_files()) == want, f"prune left {sorted(c.data_files())}, vLLM's TTL keeps {sorted(want)}"
    assert r.json()["expired"] == len(names) - len(want), r.describe()
