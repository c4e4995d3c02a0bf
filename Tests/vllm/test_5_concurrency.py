"""Group 5: several vLLM processes (vLLM's own get/put, with its eviction on
every put) and mediacache commands (fetch, get, put, prune, stats) on one
directory at once, for MEDIACACHE_VLLM_CONCURRENCY_SECONDS (default 20) s,
under a 1 MiB limit so that both sides evict all the time.

The run happens once per file system (xattr, sidecar); each test checks one
property of it. The number of poisoned (0-byte) entries vLLM created is
printed in the terminal summary.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import bodies
import support

support.vllm_or_skip()

SECONDS = max(20.0, float(os.environ.get("MEDIACACHE_VLLM_CONCURRENCY_SECONDS", "20")))
VLLM_PROCESSES = 3
N_URLS = 80
POISONED_REPORT: dict[str, str] = {}  # printed by conftest's terminal summary


@dataclass
class Run:
    mode: str
    cache: support.Cache
    urls: list[str]
    reports: list[dict] = field(default_factory=list)
    vllm_exit: list[tuple[int, str]] = field(default_factory=list)
    mc_problems: list[str] = field(default_factory=list)
    mc_empty_gets: list[str] = field(default_factory=list)
    mc_counts: dict[str, int] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    zero_byte_files: list[str] = field(default_factory=list)


def _mc_loop(run: Run, kind: str, deadline: float, rng: random.Random, env: dict, lock: threading.Lock):
    c = run.cache
    n = 0
    while time.monotonic() < deadline:
        url = rng.choice(run.urls)
        try:
            if kind == "fetch":
                batch = rng.sample(run.urls, 8)
                r = c.mc("fetch", "-j", "4", "-q", *batch, env=env)
                ok = r.code == 0
            elif kind == "get":
                r = c.mc("get", "-q", url, env=env)
                ok = r.code in (0, 1)
                if r.code == 0 and r.out == b"":
                    with lock:
                        run.mc_empty_gets.append(url)
                elif r.code == 0 and r.out != bodies.url_body(url):
                    ok = False
            elif kind == "put":
                r = c.mc("put", "-q", url, "-", stdin=bodies.url_body(url), env=env)
                ok = r.code == 0
            elif kind == "prune":
                r = c.mc("prune", "-q", env=env)
                ok = r.code == 0
                time.sleep(0.3)
            else:
                r = c.mc("stats", "--json", env=env)
                ok = r.code == 0 and isinstance(json.loads(r.out), dict)
                time.sleep(0.2)
        except (AssertionError, ValueError) as e:  # timeout, bad JSON
            ok, r = False, None
            with lock:
                run.mc_problems.append(f"{kind}: {e}")
        n += 1
        if not ok and r is not None:
            with lock:
                run.mc_problems.append(f"{kind}: " + r.describe())
    with lock:
        run.mc_counts[kind] = n


def _scenario(mode: str, base: Path, vllm) -> Run:
    home = base / "home"
    home.mkdir()
    d = base / "cache"
    d.mkdir(mode=0o700)
    c = support.Cache(d, mode, vllm, home)
    origin = support.start_origin()
    try:
        urls = [origin.url(f"/c/{i}.{('png', 'jpg', 'gif', 'webp')[i % 4]}") for i in range(N_URLS)]
        run = Run(mode, c, urls)
        url_file = base / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        env = {"VLLM_MEDIA_CACHE": str(d), "VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1", "VLLM_MEDIA_CACHE_TTL_HOURS": "24"}
        procs = []
        for i in range(VLLM_PROCESSES):
            procs.append(subprocess.Popen(
                [sys.executable, str(support.HERE / "vllm_cli.py"), "loop", "--seconds", str(SECONDS),
                 "--urls", str(url_file), "--seed", str(100 + i)],
                env=support.clean_env(env, home), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        deadline = time.monotonic() + SECONDS
        lock = threading.Lock()
        threads = [threading.Thread(target=_mc_loop, args=(run, kind, deadline, random.Random(k), env, lock))
                   for k, kind in enumerate(["fetch", "get", "get", "put", "prune", "stats"])]
        for t in threads:
            t.start()
        for p in procs:
            try:
                out, err = p.communicate(timeout=SECONDS + 180)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate(timeout=30)
                run.vllm_exit.append((-1, "vLLM process did not finish in time"))
                continue
            run.vllm_exit.append((p.returncode, err.decode("utf-8", "replace")[-2000:]))
            if p.returncode == 0:
                run.reports.append(json.loads(out))
        for t in threads:
            t.join(timeout=SECONDS + 180)
            if t.is_alive():
                run.mc_problems.append("a mediacache loop did not finish in time")
        run.leftovers = c.leftover_temp_files()
        run.zero_byte_files = sorted(n for n, size in c.data_files().items() if size == 0)
        empty_hits = sum(len(r["empty_hits"]) for r in run.reports)
        POISONED_REPORT[mode] = (
            f"{len(run.zero_byte_files)} poisoned 0-byte entries on disk after the run, "
            f"{empty_hits} empty hits served to vLLM, {len(run.mc_empty_gets)} empty bodies served by "
            f"mediacache get; vLLM: {sum(r['gets'] for r in run.reports)} gets, "
            f"{sum(r['puts'] for r in run.reports)} puts; mediacache commands: {run.mc_counts}")
        return run
    finally:
        origin.server.shutdown()
        origin.server.server_close()


@pytest.fixture(scope="module", params=["xattr", "sidecar"])
def run(request, tmp_path_factory, vllm, mc_bin):
    base = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    if request.param == "xattr":
        if not support.xattrs_work(base):
            pytest.skip(f"xattr mode: {base} has no user xattrs")
        yield _scenario("xattr", base, vllm)
        return
    with support.RamfsMount(base / "ramfs") as mount:
        if support.xattrs_work(mount.mountpoint):
            pytest.skip("sidecar mode: this ramfs accepts user xattrs")
        yield _scenario("sidecar", mount.mountpoint, vllm)


def test_vllm_processes_raised_nothing(run):
    bad = [(code, err) for code, err in run.vllm_exit if code != 0]
    assert not bad, f"vLLM worker processes failed: {bad}"
    exc = [e for r in run.reports for e in r["exceptions"]]
    assert not exc, f"vLLM's own cache methods raised {len(exc)} times; first:\n{exc[0]}"


def test_vllm_never_read_wrong_bytes(run):
    wrong = [w for r in run.reports for w in r["wrong_bytes"]]
    assert not wrong, f"vLLM read non-empty bytes that are not the URL's body ({len(wrong)}): {wrong[:5]}"


def test_mediacache_commands_succeeded(run):
    assert not run.mc_problems, (f"{len(run.mc_problems)} mediacache commands failed or returned wrong "
                                 f"bytes during the run; first: {run.mc_problems[0]}")
    for kind in ("fetch", "get", "put", "prune", "stats"):
        assert run.mc_counts.get(kind, 0) > 0, f"no `{kind}` ran: {run.mc_counts}"


def test_mediacache_get_never_served_a_poisoned_entry(run):
    assert not run.mc_empty_gets, (
        f"mediacache get returned an empty body {len(run.mc_empty_gets)} times during the run (every body "
        f"is non-empty: these are vLLM's poisoned 0-byte entries, which must be misses)")


def test_every_entry_reads_correct_bytes_afterwards(run):
    c = run.cache
    env = {"VLLM_MEDIA_CACHE": str(c.dir), "VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1"}
    wrong = []
    for url in run.urls:
        r = c.mc("get", "-q", url, env=env)
        if r.code == 0 and r.out != bodies.url_body(url):
            wrong.append(f"{url}: {len(r.out)} bytes, want {len(bodies.url_body(url))}")
        elif r.code not in (0, 1):
            wrong.append(r.describe())
    assert not wrong, f"after the run, mediacache get returned wrong bytes for {len(wrong)} URLs: {wrong[:5]}"


def test_no_leftover_temp_files(run):
    assert not run.leftovers, f"mediacache temp files left after every process ended: {run.leftovers}"


def test_verify_after_the_run(run):
    r = run.cache.mc("verify", "--json", env={"VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1"})
    assert r.code == 0, "verify after vLLM and mediacache shared the directory: " + r.describe()


def test_prune_after_the_run_removes_poisoned_entries(run):
    c = run.cache
    r = c.mc("prune", "--json", env={"VLLM_MEDIA_CACHE_MAX_SIZE_MB": "1"})
    assert r.code == 0, r.describe()
    zero = sorted(n for n, size in c.data_files().items() if size == 0 and not n.startswith("tmp"))
    assert not zero, f"prune left {len(zero)} poisoned 0-byte entries: {zero[:5]}"
