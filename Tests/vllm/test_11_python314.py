"""Group 11: Python 3.14's pathlib gives other suffixes for a few names
(`a.` gets `.`, `..png` gets none). vLLM 0.33 runs on 3.10 to 3.14, so the
names must match the vLLM the user runs.

The interface under test: `MEDIACACHE_VLLM_PYTHON=3.14` (or
`--vllm-python 3.14`) makes `key`, `put` and `fetch` name entries by 3.14's
rules; without it, the 3.10-3.13 rules hold; reads (`get`, `evict URL`)
accept either name.

Python 3.14 is not installed here, so vLLM's own `_media_cache_path` is run
with its `Path` replaced by a PosixPath whose suffix follows 3.14's rule, from
two sources: the pathlib-abc package (CPython 3.14's pathlib ABCs, backported;
fetched from PyPI like the vLLM wheel) and a table computed from CPython
3.14's `PurePath.suffix` (vllm_cache.SUFFIX_314_TABLE).
"""

from __future__ import annotations

import pytest

import bodies
import support
import vllm_cache

support.vllm_or_skip()

# URLs whose names differ between 3.13 and 3.14, and some that do not.
DIFFERENT = [
    "https://cdn.example/p/a.",
    "https://cdn.example/p/a..",
    "https://cdn.example/p/a.b.",
    "https://cdn.example/p/.a.",
    "https://cdn.example/p/..png",
    "https://cdn.example/p/...png",
    "https://example.com.",
    "https://cdn.example/p/caf\u00e9.",
]
SAME = [
    "https://cdn.example/p/a.png",
    "https://cdn.example/p/a..png",
    "https://cdn.example/p/.bashrc",
    "https://cdn.example/p/a.tar.gz?x=.y",
    "https://cdn.example/p/photo.jpg#v2",
    "https://example.com",
]


def _rules_available(rules: str) -> None:
    if rules == "pathlib-abc":
        try:
            vllm_cache.pathlib_abc()
        except vllm_cache.Unavailable as e:
            pytest.skip(f"pathlib-abc unavailable ({e}); the table still tests the 3.14 rules")


@pytest.fixture(params=["pathlib-abc", "table"])
def rules(request):
    _rules_available(request.param)
    return request.param


def test_pathlib_abc_is_a_314_rule_source(xattr_cache):
    _rules_available("pathlib-abc")
    for name, want in vllm_cache.SUFFIX_314_TABLE.items():
        got = vllm_cache.suffix_314_pathlib_abc("https://h/" + name)
        assert got == want, f"pathlib-abc gives {name!r} the suffix {got!r}; CPython 3.14's rule gives {want!r}"


def test_the_rules_differ_where_expected(xattr_cache, rules):
    c = xattr_cache
    old, new = c.connector(), c.vllm.connector({"VLLM_MEDIA_CACHE": str(c.dir)}, python="3.14", rules=rules)
    for u in DIFFERENT:
        assert old.name(u) != new.name(u), u
    for u in SAME:
        assert old.name(u) == new.name(u), u


def _v314(c, rules):
    return c.vllm.connector({"VLLM_MEDIA_CACHE": str(c.dir)}, python="3.14", rules=rules)


@pytest.mark.parametrize("how", ["env", "flag"])
def test_key_with_314_rules(xattr_cache, rules, how):
    c = xattr_cache
    new = _v314(c, rules)
    for u in DIFFERENT + SAME:
        if how == "env":
            r = c.mc("key", u, env={"MEDIACACHE_VLLM_PYTHON": "3.14"})
        else:
            r = c.mc("key", "--vllm-python", "3.14", u)
        assert r.code == 0, f"key with Python 3.14 rules ({how}): " + r.describe()
        assert r.text.strip() == new.name(u), (
            f"3.14 name of {u!r}: mediacache {r.text.strip()!r}, vLLM on 3.14 {new.name(u)!r}")


@pytest.mark.parametrize("setting", [None, "3.13", "3.10"])
def test_key_default_is_310_to_313(xattr_cache, setting):
    c = xattr_cache
    env = {"MEDIACACHE_VLLM_PYTHON": setting} if setting else None
    old = c.connector()
    for u in DIFFERENT + SAME:
        r = c.mc("key", u, env=env)
        assert r.code == 0 and r.text.strip() == old.name(u), (
            f"name of {u!r} with MEDIACACHE_VLLM_PYTHON={setting}: want {old.name(u)!r}: " + r.describe())


def test_put_and_fetch_with_314_rules_hit_vllm_on_314(cache, origin, rules):
    c = cache
    new = _v314(c, rules)
    env = {"MEDIACACHE_VLLM_PYTHON": "3.14"}
    for u in DIFFERENT[:4]:
        c.mc_ok("put", u, "-", stdin=bodies.body_for(u), env=env)
        assert new.name(u) in c.data_files(), f"put with 3.14 rules stored {sorted(c.data_files())}"
        assert new.get(u) == bodies.body_for(u), f"vLLM on 3.14 missed {u!r}"
    urls = [origin.url("/p314/a."), origin.url("/p314/..png")]
    r = c.mc("fetch", *urls, env=env)
    assert r.code == 0, r.describe()
    for u in urls:
        assert new.get(u) == bodies.url_body(u), f"vLLM on 3.14 missed fetched {u!r}; dir {sorted(c.data_files())}"


@pytest.mark.parametrize("writer", ["3.13", "3.14"])
@pytest.mark.parametrize("reader", [None, "3.14"])
def test_reads_accept_either_name(cache, rules, writer, reader):
    c = cache
    vllm_writer = c.connector() if writer == "3.13" else _v314(c, rules)
    env = {"MEDIACACHE_VLLM_PYTHON": reader} if reader else None
    for u in DIFFERENT[:5]:
        vllm_writer.put(u, bodies.body_for(u))
    for u in DIFFERENT[:5]:
        r = c.mc("get", u, env=env)
        assert r.code == 0 and r.out == bodies.body_for(u), (
            f"get {u!r} (mediacache reading as {reader or 'default'}) of vLLM-{writer}'s "
            f"{vllm_writer.name(u)}: " + r.describe())
    for u in DIFFERENT[:5]:
        r = c.mc("evict", u, env=env)
        assert r.code == 0, r.describe()
        assert vllm_writer.name(u) not in c.data_files(), (
            f"evict {u!r} (as {reader or 'default'}) left vLLM-{writer}'s {vllm_writer.name(u)}")
