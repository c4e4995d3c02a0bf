"""Group 13: `mediacache doctor` (issue #11, section 4) on directories where
vLLM's own code made each hazard of section 3.

- poisoned entry: vLLM's `_get_cached_bytes` run unchanged while mediacache
  removes the entry between vLLM's `stat()` and its `touch()`
  (`support.vllm_get_racing_removal`), so the 0-byte file is the one vLLM's
  `touch()` creates;
- stale temp file: the `tempfile.NamedTemporaryFile(dir=cache, delete=False)`
  call vLLM's put makes, aged two hours;
- `lost+found`: a non-dot directory, as at a mount root;
- unreadable entries: vLLM's `_put_cached_bytes` (mode 0600) in a directory
  with mode 2770 (group-shared);
- a planted link: a symlink under an entry name pointing out of the cache.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from pathlib import Path

import pytest

import bodies
import support

support.vllm_or_skip()

HAZARDS = {"poisoned-entries", "stale-temp-files", "directories", "unreadable-entries", "planted-links"}
FIXABLE = HAZARDS - {"directories"}
VALID_URLS = [f"https://cdn.example/d/valid-{i}.png" for i in range(4)]
POISONED_URL = "https://cdn.example/d/poisoned.jpg"
LINK_URL = "https://cdn.example/d/planted.png"


def _doctor(c, *args: str, **kw) -> support.Result:
    return c.mc("doctor", *args, timeout=120, **kw)


def _hazards(report: dict) -> dict[str, dict]:
    return {f["check"]: f for f in report["findings"] if f["severity"] == "hazard"}


def _vllm_temp_file(c, age: float) -> str:
    # The call vLLM's _put_cached_bytes makes, with its arguments.
    with tempfile.NamedTemporaryFile(mode="wb", dir=str(c.dir), delete=False) as f:
        f.write(b"a write vLLM never finished")
    c.age(os.path.basename(f.name), age)
    return os.path.basename(f.name)


def _poison_by_race(c) -> str:
    """vLLM stores POISONED_URL; then vLLM's get runs while `mediacache evict`
    removes the entry between vLLM's stat and touch."""
    conn = c.connector()
    conn.put(POISONED_URL, bodies.body_for(POISONED_URL))
    name = conn.name(POISONED_URL)
    got = support.vllm_get_racing_removal(c, POISONED_URL, lambda: c.mc_ok("evict", "--key", name))
    assert got == b"", f"vLLM's get racing a removal returned {got!r:.40}, not the empty hit the issue describes"
    assert (c.dir / name).stat().st_size == 0, "vLLM's touch() did not leave a 0-byte file"
    assert conn.get(POISONED_URL) == b"", "vLLM serves the 0-byte file as a hit from then on (its bug)"
    return name


def _hazard_dir(c, tmp_path: Path) -> dict:
    """Every hazard at once, plus valid entries; returns what was made."""
    os.chmod(c.dir, 0o2770)  # a group-shared cache
    conn = c.connector()
    valid = {}
    for url in VALID_URLS:
        conn.put(url, bodies.body_for(url))
        name = conn.name(url)
        assert stat.S_IMODE((c.dir / name).stat().st_mode) == 0o600, "vLLM's put no longer writes mode 0600"
        valid[name] = url
    # distinct, past mtimes: doctor must not change them (the LRU order)
    for i, name in enumerate(valid):
        c.age(name, 600 - i * 60)
    poisoned = _poison_by_race(c)
    temp = _vllm_temp_file(c, 2 * 3600)
    (c.dir / "lost+found").mkdir()
    secret = tmp_path / "outside-secret"
    secret.write_bytes(b"not a cache entry")
    link = conn.name(LINK_URL)
    os.symlink(secret, c.dir / link)
    before = {name: ((c.dir / name).read_bytes(), (c.dir / name).stat().st_mtime_ns) for name in valid}
    return dict(valid=valid, poisoned=poisoned, temp=temp, link=link, secret=secret, before=before)


def test_clean_directory(cache):
    c = cache
    conn = c.connector()
    for url in VALID_URLS:
        conn.put(url, bodies.body_for(url))
        os.chmod(c.dir / conn.name(url), 0o644)  # readable: 0600 in a 0700 directory is fine too
    r = _doctor(c)
    assert r.code == 0, "doctor on a clean directory vLLM filled must exit 0: " + r.describe()
    r = _doctor(c, "--json")
    assert r.code == 0, r.describe()
    report = r.json()
    assert report["clean"] is True, report
    assert not _hazards(report), f"hazards on a clean directory: {sorted(_hazards(report))}"


def test_clean_directory_vllm_modes(cache):
    """vLLM's 0600 entries in a private (0700) directory: nobody else may
    enter, so nobody else needs to read them; not a hazard."""
    c = cache
    os.chmod(c.dir, 0o700)
    conn = c.connector()
    for url in VALID_URLS:
        conn.put(url, bodies.body_for(url))
    r = _doctor(c, "--json", "--no-calibration")
    assert r.code == 0, r.describe()
    assert r.json()["clean"] is True, r.describe()


def test_every_hazard_found(cache, tmp_path):
    c = cache
    made = _hazard_dir(c, tmp_path)
    r = _doctor(c, "--no-calibration")
    assert r.code == 1, "doctor must exit 1 on a directory with hazards: " + r.describe()
    r = _doctor(c, "--json", "--no-calibration")
    assert r.code == 1, r.describe()
    report = r.json()
    assert report["clean"] is False, report
    found = _hazards(report)
    missing = HAZARDS - set(found)
    assert not missing, f"doctor did not report {sorted(missing)}; it reported {sorted(found)}"
    assert found["poisoned-entries"]["count"] == 1, found["poisoned-entries"]
    assert found["stale-temp-files"]["count"] == 1, found["stale-temp-files"]
    assert found["directories"]["count"] == 1, found["directories"]
    assert "lost+found" in found["directories"]["summary"], found["directories"]
    assert found["unreadable-entries"]["count"] == len(made["valid"]), found["unreadable-entries"]
    assert found["planted-links"]["count"] == 1, found["planted-links"]
    for check in HAZARDS:
        f = found[check]
        assert f["effect"] and f["action"], f"finding {check} must say what happens and what to do: {f}"
        assert f["fixable"] is (check in FIXABLE), f"{check}: fixable {f['fixable']}"
    # Looking changed nothing.
    for name, (data, mtime) in made["before"].items():
        st = (c.dir / name).stat()
        assert (c.dir / name).read_bytes() == data and st.st_mtime_ns == mtime, f"doctor without --fix changed {name}"
    for name in (made["poisoned"], made["temp"], made["link"]):
        assert os.path.lexists(c.dir / name), f"doctor without --fix removed {name}"


def test_fix(cache, tmp_path):
    c = cache
    made = _hazard_dir(c, tmp_path)
    r = _doctor(c, "--fix", "--json", "--no-calibration")
    assert r.code == 1, "lost+found cannot be fixed, so doctor --fix must still exit 1: " + r.describe()
    found = _hazards(r.json())
    for check in FIXABLE:
        assert check in found and found[check]["fixed"] == found[check]["count"], (
            f"--fix did not fix all of {check}: {found.get(check)}")
    assert found["directories"]["fixed"] == 0, found["directories"]

    left = c.data_files()
    assert made["poisoned"] not in left, "--fix kept the poisoned 0-byte file"
    assert made["temp"] not in left, "--fix kept vLLM's stale temp file"
    assert not os.path.lexists(c.dir / made["link"]), "--fix kept the planted link"
    assert made["secret"].read_bytes() == b"not a cache entry", "--fix touched the link's target"
    assert (c.dir / "lost+found").is_dir(), "--fix removed lost+found (not safe: it belongs to fsck)"
    conn = c.connector()
    for name, url in made["valid"].items():
        p = c.dir / name
        data, mtime = made["before"][name]
        st = p.stat()
        assert p.read_bytes() == data, f"--fix changed the bytes of vLLM's entry {name}"
        assert st.st_mtime_ns == mtime, f"--fix changed the mtime (LRU position) of {name}"
        assert st.st_mode & stat.S_IRGRP, f"--fix left {name} mode {oct(stat.S_IMODE(st.st_mode))}, not group-readable"
    # Only now (vLLM's get touches) read them back through vLLM.
    for name, url in made["valid"].items():
        assert conn.get(url) == bodies.body_for(url), f"vLLM's get misses {name} after doctor --fix"
    assert conn.get(POISONED_URL) is None, "after --fix vLLM must miss the poisoned URL (and download it again)"

    r = _doctor(c, "--json", "--no-calibration")
    assert r.code == 1, r.describe()
    assert set(_hazards(r.json())) == {"directories"}, (
        f"after --fix only lost+found should be left, doctor reports {sorted(_hazards(r.json()))}")
    (c.dir / "lost+found").rmdir()
    r = _doctor(c, "--json", "--no-calibration")
    assert r.code == 0, "after --fix and removing lost+found doctor must exit 0: " + r.describe()
    assert r.json()["clean"] is True


def test_entry_count_calibration(cache):
    c = cache
    conn = c.connector()
    for url in VALID_URLS:
        conn.put(url, bodies.body_for(url))
    r = _doctor(c, "--json", "--no-calibration")
    report = r.json()
    assert report.get("vllm_store_ms") is None and report.get("suggested_max_entries") is None, (
        "--no-calibration must omit the measured cost: " + r.describe())

    r = _doctor(c, "--json")
    report = r.json()
    for key in ("vllm_store_ms", "suggested_max_entries"):
        v = report.get(key)
        assert isinstance(v, (int, float)) and not isinstance(v, bool), f"{key} is {v!r}, not a number: " + r.describe()
        assert v >= 0, f"{key} = {v}"
    assert isinstance(report["suggested_max_entries"], int) and report["suggested_max_entries"] > 0, report
    counts = [f for f in report["findings"] if f["check"] == "entry-count"]
    assert len(counts) == 1, f"no entry-count finding: {[f['check'] for f in report['findings']]}"
    assert f"--max-entries {report['suggested_max_entries']}" in counts[0]["action"], (
        f"the entry-count finding's action does not suggest the N in suggested_max_entries: {counts[0]}")


@pytest.mark.parametrize("old", [True, False], ids=["older-than-ttl", "fresh"])
def test_directory_breaks_vllm_put(cache, old):
    """What vLLM's own `_put_cached_bytes` does with `lost+found` in the
    cache directory: once the directory is older than the TTL, vLLM's
    eviction tries to unlink it, and the IsADirectoryError comes out of every
    store (after the entry was renamed into place)."""
    c = cache
    lf = c.dir / "lost+found"
    lf.mkdir()
    if old:
        c.age("lost+found", 25 * 3600)  # vLLM's default TTL is 24 h
    conn = c.connector()
    for i in range(2):
        url = f"https://cdn.example/d/after-lost-found-{i}.png"
        if old:
            with pytest.raises(IsADirectoryError):
                conn.put(url, bodies.body_for(url))
        else:
            conn.put(url, bodies.body_for(url))
        assert (c.dir / conn.name(url)).read_bytes() == bodies.body_for(url), "the rename happens before the eviction"
    assert lf.is_dir()
    r = _doctor(c, "--json", "--no-calibration")
    assert r.code == 1, r.describe()
    assert "directories" in _hazards(r.json()), r.describe()


def test_free_space_of_a_file_system_without_capacity(sidecar_cache):
    """ramfs (the sidecar mode's file system) reports f_blocks = 0: no
    capacity, not a full disk; it grows as long as memory lasts. Doctor must
    not report a free-space hazard there (nor print "0 B free")."""
    c = sidecar_cache
    vfs = os.statvfs(c.dir)
    assert vfs.f_blocks == 0, f"precondition: this ramfs reports f_blocks={vfs.f_blocks}"
    r = _doctor(c, "--json", "--no-calibration")
    found = _hazards(r.json())
    assert "free-space" not in found, (
        "doctor reports a free-space hazard on a file system that reports no capacity (statvfs f_blocks = 0): "
        + str(found["free-space"]))
    assert r.code == 0, r.describe()
