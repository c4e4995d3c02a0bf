"""Group 2: what vLLM's own `_put_cached_bytes` writes, every mediacache
command reads, counts, verifies, evicts and prunes."""

from __future__ import annotations

import pytest

import bodies
import support

support.vllm_or_skip()

URLS = [
    "https://cdn.example/v/cat.png?size=large",
    "https://cdn.example/v/clip.mp4",
    "https://cdn.example/v/caf\u00e9.jpg",
    "https://cdn.example/v/noext",
]


def _fill(c) -> dict[str, bytes]:
    conn = c.connector()
    data = {}
    for url in URLS:
        data[url] = bodies.body_for(url, max_size=100_000)
        conn.put(url, data[url])
    return data


def test_get(cache):
    c = cache
    data = _fill(c)
    for url, want in data.items():
        r = c.mc("get", url)
        assert r.code == 0, f"mediacache get missed vLLM's entry {c.connector().name(url)}: " + r.describe()
        assert r.out == want, f"mediacache get returned other bytes than vLLM stored for {url}"


def test_get_path(cache):
    c = cache
    _fill(c)
    url = URLS[0]
    r = c.mc_ok("get", "--path", url)
    assert r.text.strip() == str(c.dir / c.connector().name(url)), r.describe()


def test_list(cache):
    c = cache
    _fill(c)
    rows = {row["key"]: row for row in c.list_json()}
    for url in URLS:
        name = c.connector().name(url)
        assert name in rows, f"`list` does not show vLLM's entry {name}; it shows {sorted(rows)}"
        assert rows[name]["size"] == (c.dir / name).stat().st_size
        assert rows[name]["url"] is None, f"vLLM's entry {name} listed with URL {rows[name]['url']!r}"
    assert len(rows) == len(URLS), f"`list` shows {len(rows)} entries, vLLM wrote {len(URLS)}: {sorted(rows)}"


def test_stats(cache):
    c = cache
    data = _fill(c)
    s = c.stats_json()
    assert s["entries"] == len(URLS), f"stats counts {s['entries']} entries, vLLM wrote {len(URLS)}"
    assert s["bytes"] == sum(map(len, data.values())), f"stats bytes {s['bytes']}"


def test_verify(cache):
    c = cache
    _fill(c)
    r = c.mc("verify", "--json")
    assert r.code == 0, "verify of a directory vLLM filled must exit 0: " + r.describe()
    lines = r.json_lines()
    summary = lines[-1]
    findings = {f["key"]: f["status"] for f in lines[:-1]}
    for url in URLS:
        name = c.connector().name(url)
        assert findings.get(name) in ("foreign", None), f"verify calls vLLM's {name} {findings.get(name)!r}"
    assert summary["corrupt"] == 0 and summary["missing"] == 0 and summary["hostile"] == 0, summary
    assert summary["foreign"] + summary["ok"] == len(URLS), summary


def test_evict_url(cache):
    c = cache
    _fill(c)
    url = URLS[1]
    name = c.connector().name(url)
    r = c.mc("evict", "--json", url)
    assert r.code == 0, r.describe()
    assert r.json()["keys"] == [name], r.describe()
    assert name not in c.data_files(), f"{name} still there after `evict URL`"
    assert c.connector().get(url) is None
    assert len(c.data_files()) == len(URLS) - 1, sorted(c.data_files())


def test_evict_key(cache):
    c = cache
    _fill(c)
    name = c.connector().name(URLS[2])
    c.mc_ok("evict", "--key", name)
    assert name not in c.data_files()


@pytest.mark.parametrize("how", ["max-size flag", "vllm env"])
def test_prune(cache, how):
    c = cache
    data = _fill(c)
    # Make the LRU order explicit: URLS[0] oldest ... URLS[-1] newest.
    for i, url in enumerate(URLS):
        c.age(c.connector().name(url), 1000 - i * 100)
    keep = URLS[-1]
    limit_bytes = len(data[keep])  # room for the newest entry only
    if how == "max-size flag":
        r = c.mc("prune", "--json", "--max-size", str(limit_bytes))
    else:
        # vLLM's limit is in MiB; fill a MiB with one entry first.
        big = "https://cdn.example/v/big.bin"
        c.connector().put(big, b"\0" * (1024 * 1024 - 1))
        keep = big
        r = c.mc("prune", "--json", env={"VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1"})
    assert r.code == 0, r.describe()
    left = set(c.data_files())
    want = {c.connector().name(keep)}
    assert left == want, f"prune left {sorted(left)}, the newest entry alone fits: {sorted(want)}"
