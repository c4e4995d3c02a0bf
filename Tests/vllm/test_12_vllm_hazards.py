"""Group 12 (and the deterministic half of 5): vLLM's temp files and the
0-byte entries vLLM's get creates ("poisoned" entries).

vLLM's put writes through `tempfile.NamedTemporaryFile(dir=cache,
delete=False)`: a `tmpXXXXXXXX` name without a dot, mode 0600. Those are
writes in flight or crash leftovers, not entries. vLLM's get does `stat`,
`touch()`, `read_bytes()`: an entry removed in between comes back as a 0-byte
file that vLLM serves as a hit from then on.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

import bodies
import support

support.vllm_or_skip()


def _vllm_temp_file(c, data: bytes = b"partial write") -> str:
    # The call vLLM's _put_cached_bytes makes, with its arguments.
    with tempfile.NamedTemporaryFile(mode="wb", dir=str(c.dir), delete=False) as f:
        f.write(data)
    name = os.path.basename(f.name)
    assert name.startswith("tmp") and stat.S_IMODE(os.stat(f.name).st_mode) == 0o600
    return name


def test_temp_files_not_listed_or_counted(cache):
    c = cache
    url = "https://cdn.example/h/real.png"
    c.connector().put(url, bodies.body_for(url))
    tmp = _vllm_temp_file(c, b"x" * 5000)
    keys = {row["key"] for row in c.list_json()}
    assert tmp not in keys, f"`list` shows vLLM's temp file {tmp} as an entry"
    s = c.stats_json()
    assert s["entries"] == 1 and s["bytes"] == len(bodies.body_for(url)), (
        f"stats counts vLLM's temp file {tmp}: entries {s['entries']}, bytes {s['bytes']}")


@pytest.mark.parametrize("age,removed", [(0, False), (30 * 60, False), (2 * 3600, True)])
def test_prune_removes_stale_temp_files_only(cache, age, removed):
    c = cache
    tmp = _vllm_temp_file(c)
    c.age(tmp, age)
    r = c.mc("prune", "--json")
    assert r.code == 0, r.describe()
    present = tmp in c.data_files()
    if removed:
        assert not present, f"prune kept vLLM's temp file {tmp} aged {age} s (stale after an hour)"
    else:
        assert present, f"prune removed vLLM's temp file {tmp} aged {age} s: a write may be in flight"


def test_temp_file_not_in_lru(cache):
    """A size limit of one byte evicts every entry, but not a fresh temp file."""
    c = cache
    url = "https://cdn.example/h/a.jpg"
    c.connector().put(url, bodies.body_for(url))
    tmp = _vllm_temp_file(c, b"y" * 100_000)
    r = c.mc("prune", "--max-size", "1", "--json")
    assert r.code == 0, r.describe()
    assert tmp in c.data_files(), f"prune's LRU removed vLLM's fresh temp file {tmp}"
    assert c.connector().name(url) not in c.data_files()


def _poison(c, url: str) -> str:
    """The 0-byte file vLLM's `cache_path.touch()` leaves when the entry was
    removed between its stat and its touch."""
    path = c.connector().path(url)
    Path(path).touch()
    assert c.connector().get(url) == b"", "vLLM serves the 0-byte file as a hit (its bug)"
    return path.name


def test_poisoned_entry_is_a_miss(cache):
    c = cache
    url = "https://cdn.example/h/poisoned.png"
    _poison(c, url)
    r = c.mc("get", url)
    assert r.code == 1, "mediacache get of a 0-byte file vLLM left (no mediacache record) must miss: " + r.describe()


def test_poisoned_entry_after_mediacache_put(cache):
    """mediacache stored real bytes; vLLM's touch race replaced them with an
    empty file: still poisoned (the record says the body was not empty)."""
    c = cache
    url = "https://cdn.example/h/was-real.png"
    c.mc_ok("put", url, "-", stdin=b"real bytes")
    name = c.connector().name(url)
    os.unlink(c.dir / name)
    _poison(c, url)
    r = c.mc("get", url)
    assert r.code == 1, "a 0-byte file under an entry mediacache stored non-empty must miss: " + r.describe()


def test_prune_removes_poisoned_entries(cache):
    c = cache
    names = [_poison(c, f"https://cdn.example/h/p{i}.gif") for i in range(3)]
    keep = "https://cdn.example/h/empty-but-real.txt"
    c.mc_ok("put", "--allow-empty", keep, "-", stdin=b"")
    r = c.mc("prune", "--json")
    assert r.code == 0, r.describe()
    left = set(c.data_files())
    assert not (set(names) & left), f"prune kept fresh poisoned entries {sorted(set(names) & left)}"
    assert c.connector().name(keep) in left, "prune removed an empty body mediacache recorded as real"


def test_fetch_refetches_poisoned_entry(cache, origin):
    c = cache
    url = origin.url("/h/poisoned-fetch.png")
    _poison(c, url)
    r = c.mc("fetch", "--json", url)
    assert r.code == 0, r.describe()
    assert r.json_lines()[0]["status"] == "fetched", "fetch must download a poisoned entry again: " + r.describe()
    assert c.connector().get(url) == bodies.url_body(url)
