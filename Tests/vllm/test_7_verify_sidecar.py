"""Group 7: metadata that no longer describes the file under it (vLLM's
rename replaced the data file; vLLM's eviction removed it) is vLLM's doing,
not corruption: `verify` exits 0 and `--fix` deletes none of vLLM's bytes."""

from __future__ import annotations

import bodies
import support

support.vllm_or_skip()

URL = "https://cdn.example/s/replaced.png"


def _replace_with_vllm(c, a_size: int, b_size: int) -> tuple[bytes, bytes, str]:
    a = bodies.body_for("A" + URL, a_size, a_size)
    b = bodies.body_for("B" + URL, b_size, b_size)
    c.mc_ok("put", URL, "-", stdin=a)
    conn = c.connector()
    name = conn.name(URL)
    if c.mode == "sidecar":
        assert c.sidecar(name).is_file(), f"sidecar mode: no {c.sidecar(name)} after mediacache put"
    conn.put(URL, b)
    assert (c.dir / name).read_bytes() == b
    return a, b, name


def test_verify_after_vllm_replaced_entry(cache):
    c = cache
    a, b, name = _replace_with_vllm(c, 5000, 7000)  # different sizes
    r = c.mc("verify", "--json")
    findings = {f["key"]: f for f in r.json_lines()[:-1]} if r.out else {}
    assert findings.get(name, {}).get("status") != "corrupt", (
        f"verify calls vLLM's valid bytes corrupt ({c.mode} metadata of the replaced entry): " + r.describe())
    assert r.code == 0, "verify after vLLM replaced an entry must exit 0: " + r.describe()


def test_verify_after_vllm_replaced_entry_same_size(cache):
    """Same size, other bytes: only the content hash tells them apart."""
    c = cache
    a, b, name = _replace_with_vllm(c, 6000, 6000)
    r = c.mc("verify", "--json")
    corrupt = [f for f in r.json_lines() if f.get("status") == "corrupt"] if r.out else []
    assert r.code == 0 and not corrupt, (
        f"verify calls vLLM's same-size replacement corrupt ({c.mode}): " + r.describe())


def test_verify_fix_keeps_vllm_replacement(cache):
    c = cache
    a, b, name = _replace_with_vllm(c, 5000, 7000)
    r = c.mc("verify", "--fix", "--json")
    assert r.code == 0, r.describe()
    assert name in c.data_files(), f"verify --fix deleted vLLM's valid entry {name} ({c.mode}): " + r.describe()
    assert c.connector().get(URL) == b, "vLLM's get no longer returns its own bytes after verify --fix"
    r = c.mc("get", URL)
    assert r.code == 0 and r.out == b, "mediacache get must return vLLM's bytes B, not A: " + r.describe()
    r = c.mc("verify")
    assert r.code == 0, "a second verify after --fix: " + r.describe()


def test_get_after_vllm_replacement_returns_vllm_bytes(cache):
    c = cache
    a, b, name = _replace_with_vllm(c, 5000, 6000)
    r = c.mc("get", URL)
    assert r.code == 0 and r.out == b, "mediacache get after vLLM replaced the entry: " + r.describe()
    rows = {row["key"]: row for row in c.list_json()}
    assert rows[name]["size"] == len(b), rows[name]


def test_verify_after_vllm_evicted_mediacache_entry(cache):
    c = cache
    urls = [f"https://cdn.example/s/{i}.jpg" for i in range(3)]
    for u in urls:
        c.mc_ok("put", u, "-", stdin=bodies.body_for(u, 200_000, 200_000))
    conn = c.connector()
    for i, u in enumerate(urls):
        c.age(conn.name(u), 100 - i)
    # vLLM's eviction with a limit of 0 MiB: everything goes (dot files stay).
    c.connector(VLLM_MEDIA_CACHE_MAX_SIZE_MB="0").evict()
    assert c.data_files() == {}, c.data_files()
    r = c.mc("verify")
    assert r.code == 0, f"a {c.mode} record left behind by vLLM's eviction is routine, verify must exit 0: " + r.describe()
    r = c.mc("verify", "--fix")
    assert r.code == 0, r.describe()
    if c.mode == "sidecar":
        c.mc_ok("prune")
        left = list((c.dir / ".mediacache" / "meta").glob("*"))
        assert not left, f"stale sidecars left after prune: {left}"
