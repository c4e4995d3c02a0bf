"""Fixtures of the vLLM interop suite (see README.md in this folder)."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402


@pytest.fixture(scope="session")
def mc_bin() -> Path:
    path = support.binary()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"mediacache binary not found at {path} (build it, or set MEDIACACHE_BIN)")
    return path


@pytest.fixture(scope="session")
def vllm():
    return support.vllm_or_skip()


@pytest.fixture(scope="session")
def origin():
    o = support.start_origin()
    yield o
    o.server.shutdown()
    o.server.server_close()
    o.thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(11)


def _make_cache(mode: str, tmp_path: Path, vllm, mc_bin):
    home = tmp_path / "home"
    home.mkdir()
    if mode == "xattr":
        if not support.xattrs_work(tmp_path):
            pytest.skip(f"xattr mode: the test directory {tmp_path} has no user xattrs")
        d = tmp_path / "cache"
        d.mkdir(mode=0o700)
        yield support.Cache(d, mode, vllm, home)
        return
    with support.RamfsMount(tmp_path / "ramfs") as mount:
        if support.xattrs_work(mount.mountpoint):
            pytest.skip("sidecar mode: this ramfs accepts user xattrs, so it would not test sidecars")
        d = mount.mountpoint / "cache"
        d.mkdir(mode=0o700)
        yield support.Cache(d, mode, vllm, home)


@pytest.fixture(params=["xattr", "sidecar"])
def cache(request, tmp_path, vllm, mc_bin):
    """A fresh cache directory, metadata in xattrs or (ramfs) in sidecars."""
    yield from _make_cache(request.param, tmp_path, vllm, mc_bin)


@pytest.fixture
def xattr_cache(tmp_path, vllm, mc_bin):
    yield from _make_cache("xattr", tmp_path, vllm, mc_bin)


@pytest.fixture
def sidecar_cache(tmp_path, vllm, mc_bin):
    yield from _make_cache("sidecar", tmp_path, vllm, mc_bin)


def pytest_terminal_summary(terminalreporter):
    mod = sys.modules.get("test_5_concurrency")
    report = getattr(mod, "POISONED_REPORT", None) if mod else None
    if report:
        terminalreporter.section("vLLM poisoned entries (concurrency run)")
        for mode, line in sorted(report.items()):
            terminalreporter.write_line(f"{mode}: {line}")
