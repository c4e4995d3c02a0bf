"""Group 6: VLLM_MEDIA_CACHE_MAX_SIZE_MB and VLLM_MEDIA_CACHE_TTL_HOURS mean
the same to mediacache as to vLLM's own envs.py (Python int() / float()).

A value vLLM accepts must be accepted with the same meaning; a value vLLM
refuses (its getter raises) must be refused: exit 64, and a stderr line that
says vLLM would refuse it too. JSON cannot carry inf or nan, so for those only
the behaviour is compared (which entries are expired).
"""

from __future__ import annotations

import math
import os
import time

import pytest

import bodies
import support

support.vllm_or_skip()

SIZE = "VLLM_MEDIA_CACHE_MAX_SIZE_MB"
TTL = "VLLM_MEDIA_CACHE_TTL_HOURS"
INT64_MAX = 2**63 - 1

SIZE_VALUES = ["10", " 10 ", "1_0", "+10", "-1", "0", "1.5", "0x10", "", "\u0661\u0660",
               "99999999999999999999", "abc", "\t7\n", "010"]
TTL_VALUES = ["1", "1.5", "inf", "nan", "1e-3", "1_0", " 2 ", "0", "-1", "abc", "",
              "-inf", "Infinity", "\u0662", "0x1"]

# Ages of the entries for the behavioural TTL check: 30 s, 4000 s, 7000 s,
# 40000 s, ten years (none near a TTL boundary of the values above).
AGES = [30.0, 4000.0, 7000.0, 40000.0, 10 * 365 * 86400.0]


def _id(v: str) -> str:
    return repr(v)


def _mc_stats(c, name: str, value: str) -> support.Result:
    return c.mc("stats", "--json", env={"VLLM_MEDIA_CACHE": str(c.dir), name: value})


def _check_refusal(c, name, value, verdict, r):
    assert r.code == 64, (f"{name}={value!r}: vLLM refuses it ({verdict[1]!r}), mediacache must refuse "
                          f"with exit 64: " + r.describe())
    assert "vllm" in r.err.lower(), (f"{name}={value!r}: the refusal must say vLLM would refuse it too; "
                                     f"stderr was {r.err.strip()!r}")
    assert name in r.err, f"the refusal must name {name}; stderr was {r.err.strip()!r}"


@pytest.mark.parametrize("value", SIZE_VALUES, ids=_id)
def test_max_size_mb(xattr_cache, value):
    c = xattr_cache
    verdict = c.vllm.setting(SIZE, {"VLLM_MEDIA_CACHE": str(c.dir), SIZE: value})
    r = _mc_stats(c, SIZE, value)
    if verdict[0] == "error":
        _check_refusal(c, SIZE, value, verdict, r)
        return
    want = verdict[1] * 1024 * 1024
    assert r.code == 0, f"{SIZE}={value!r}: vLLM accepts it as {verdict[1]} MiB, mediacache: " + r.describe()
    got = r.json()["max_bytes"]
    if want <= 0:
        ok = got in (want, 0)
    elif want > INT64_MAX:
        ok = got in (want, INT64_MAX)
    else:
        ok = got == want
    assert ok, f"{SIZE}={value!r}: vLLM's limit is {want} bytes, mediacache's max_bytes is {got}"
    # Behaviour: three 100 KiB entries; what prune would evict for size
    # equals what vLLM's own eviction removes.
    conn = c.connector()
    urls = [f"https://cdn.example/env/{i}.png" for i in range(3)]
    for u in urls:
        conn.put(u, bodies.body_for(u, 100 * 1024, 100 * 1024))
    for i, u in enumerate(urls):
        c.age(conn.name(u), 100 - i)
    copy = c.dir.parent / "vllm-copy"
    support.copy_dir_with_times(c.dir, copy)
    c.vllm.connector({"VLLM_MEDIA_CACHE": str(copy), SIZE: value}).evict()
    vllm_removed = 3 - len([n for n in os.listdir(copy) if not n.startswith(".")])
    r = c.mc("prune", "--dry-run", "--json", env={"VLLM_MEDIA_CACHE": str(c.dir), SIZE: value})
    assert r.code == 0, r.describe()
    assert r.json()["over_size"] == vllm_removed, (
        f"{SIZE}={value!r}: prune would evict {r.json()['over_size']} for size, vLLM evicts {vllm_removed}")


@pytest.mark.parametrize("value", TTL_VALUES, ids=_id)
def test_ttl_hours(xattr_cache, value):
    c = xattr_cache
    verdict = c.vllm.setting(TTL, {"VLLM_MEDIA_CACHE": str(c.dir), TTL: value})
    if verdict[0] == "error":
        _check_refusal(c, TTL, value, verdict, _mc_stats(c, TTL, value))
        return
    ttl = verdict[1] * 3600
    # Entries of several ages; vLLM's rule: expired when age > ttl.
    for i, age in enumerate(AGES):
        u = f"https://cdn.example/ttl/{i}.png"
        c.mc_ok("put", u, "-", stdin=bodies.body_for(u))
    names = [c.connector().name(f"https://cdn.example/ttl/{i}.png") for i in range(len(AGES))]
    for name, age in zip(names, AGES):
        c.age(name, age)
    now = time.time()
    vllm_expired = sum(1 for n in names if now - (c.dir / n).stat().st_mtime > ttl)
    r = _mc_stats(c, TTL, value)
    assert r.code == 0, f"{TTL}={value!r}: vLLM accepts it as {verdict[1]} h, mediacache: " + r.describe()
    s = r.json()
    if math.isfinite(ttl):
        assert s["ttl_seconds"] == pytest.approx(ttl, rel=1e-12, abs=1e-9), (
            f"{TTL}={value!r}: vLLM's TTL is {ttl} s, mediacache's ttl_seconds is {s['ttl_seconds']}")
    assert s["expired_entries"] == vllm_expired, (
        f"{TTL}={value!r} (vLLM: {ttl} s): of entries aged {AGES} s mediacache calls "
        f"{s['expired_entries']} expired, vLLM's rule {vllm_expired}")


@pytest.mark.parametrize("value", ["", "1.5", "0x10"], ids=_id)
def test_refused_size_also_refused_by_other_commands(xattr_cache, value):
    c = xattr_cache
    assert c.vllm.setting(SIZE, {SIZE: value})[0] == "error"
    r = c.mc("prune", env={"VLLM_MEDIA_CACHE": str(c.dir), SIZE: value})
    _check_refusal(c, SIZE, value, ("error", "see vLLM"), r)
