"""Helpers for the vLLM interop suite: the mediacache binary, vLLM's code,
cache directories with and without user xattrs, and the local origin."""

from __future__ import annotations

import errno
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import bodies  # noqa: E402
import vllm_cache  # noqa: E402

CMD_TIMEOUT = 60  # seconds, for any one mediacache or helper command
MIB = 1024 * 1024
XATTR = "user.mediacache"


def vllm_or_skip() -> vllm_cache.Vllm:
    """vLLM's code, or a visible module-level skip saying why it is missing."""
    try:
        return vllm_cache.load()
    except vllm_cache.Unavailable as e:
        pytest.skip(f"vLLM {vllm_cache.VLLM_VERSION} wheel unavailable: {e}", allow_module_level=True)


def binary() -> Path:
    raw = os.environ.get("MEDIACACHE_BIN") or ".build/debug/mediacache"
    path = Path(raw)
    if not path.is_absolute():
        path = REPO / path
    return path


def clean_env(extra: dict[str, str | None] | None = None, home: Path | None = None) -> dict[str, str]:
    """os.environ without any MEDIACACHE_* / VLLM_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MEDIACACHE_", "VLLM_"))}
    # The wheel cache location must reach the vLLM worker processes.
    for k in ("MEDIACACHE_VLLM_WHEEL_DIR",):
        if k in os.environ:
            env[k] = os.environ[k]
    if home is not None:
        env["HOME"] = str(home)
        env["XDG_CACHE_HOME"] = str(home / ".cache")
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


@dataclass
class Result:
    args: list[str]
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.out)

    def json_lines(self):
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def describe(self) -> str:
        out = self.text
        if len(out) > 700:
            out = out[:300] + " ... " + out[-400:]
        return (f"`mediacache {' '.join(self.args)}` exited {self.code}\n"
                f"  stdout: {out!r}\n  stderr: {self.err.strip()!r}")


class Cache:
    """One cache directory, reachable by mediacache and by vLLM's code."""

    def __init__(self, directory: Path, mode: str, vllm: vllm_cache.Vllm, home: Path):
        self.dir = directory
        self.mode = mode  # "xattr" or "sidecar"
        self.vllm = vllm
        self.home = home

    # -- mediacache ---------------------------------------------------------
    def mc(self, *args: str, stdin: bytes | None = None, env: dict | None = None,
           cache_dir: bool = True, timeout: float = CMD_TIMEOUT) -> Result:
        argv = list(args)
        if cache_dir and argv and argv[0] not in ("--help", "--version"):
            argv[1:1] = ["--cache-dir", str(self.dir)]
        return run_mc(argv, stdin=stdin, env=clean_env(env, self.home), timeout=timeout)

    def mc_ok(self, *args: str, **kw) -> Result:
        r = self.mc(*args, **kw)
        assert r.code == 0, r.describe()
        return r

    def list_json(self) -> list[dict]:
        return self.mc_ok("list", "--json").json_lines()

    def stats_json(self, *args: str, **kw) -> dict:
        return self.mc_ok("stats", "--json", *args, **kw).json()

    def key(self, url: str, *args: str, **kw) -> str:
        r = self.mc("key", *args, url, **kw)
        assert r.code == 0, f"mediacache key refused {url!r}: " + r.describe()
        return r.text.rstrip("\n")

    # -- vLLM ---------------------------------------------------------------
    def connector(self, **env: str) -> vllm_cache.Connector:
        full = {"VLLM_MEDIA_CACHE": str(self.dir)}
        full.update(env)
        return self.vllm.connector(full)

    # -- the directory ------------------------------------------------------
    def data_files(self) -> dict[str, int]:
        """Non-dot names in the directory (what vLLM sees), with sizes."""
        out = {}
        for entry in os.scandir(self.dir):
            if not entry.name.startswith("."):
                out[entry.name] = entry.stat(follow_symlinks=False).st_size
        return out

    def dot_tree(self) -> dict[str, tuple[int, int]]:
        """Every path under a dot name, with (size, mtime_ns)."""
        out = {}
        for entry in os.scandir(self.dir):
            if not entry.name.startswith("."):
                continue
            p = Path(entry.path)
            items = [p] + (sorted(p.rglob("*")) if p.is_dir() else [])
            for q in items:
                st = q.lstat()
                out[str(q.relative_to(self.dir))] = (st.st_size, st.st_mtime_ns if not q.is_dir() else 0)
        return out

    def has_xattr(self, name: str) -> bool:
        try:
            os.getxattr(self.dir / name, XATTR, follow_symlinks=False)
            return True
        except OSError:
            return False

    def sidecar(self, name: str) -> Path:
        return self.dir / ".mediacache" / "meta" / name

    def age(self, name: str, seconds: float) -> None:
        """Set a data file's mtime (and atime) to ``seconds`` ago."""
        t = time.time() - seconds
        os.utime(self.dir / name, (t, t), follow_symlinks=False)

    def leftover_temp_files(self) -> list[str]:
        out = []
        for root, _dirs, files in os.walk(self.dir):
            for f in files:
                if f.startswith(".tmp"):
                    out.append(os.path.relpath(os.path.join(root, f), self.dir))
        return out


def run_mc(argv: list[str], stdin: bytes | None = None, env: dict | None = None,
           timeout: float = CMD_TIMEOUT) -> Result:
    try:
        p = subprocess.run([str(binary())] + argv, input=stdin if stdin is not None else b"",
                           capture_output=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`mediacache {' '.join(argv)}` did not finish in {timeout} s") from e
    return Result(argv, p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------
# file systems: with user xattrs (the test's tmp dir) and without (ramfs)
# ---------------------------------------------------------------------------

def xattrs_work(directory: Path) -> bool:
    probe = directory / ".xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.mediacache-probe", b"1")
        return True
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.EACCES):
            return False
        raise
    finally:
        probe.unlink()


class RamfsMount:
    def __init__(self, mountpoint: Path):
        self.mountpoint = mountpoint
        self.mounted = False

    def __enter__(self):
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        try:
            p = subprocess.run(["mount", "-t", "ramfs", "-o", "mode=0755", "ramfs", str(self.mountpoint)],
                               capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"sidecar mode needs a file system without user xattrs: cannot run mount ({e})")
        if p.returncode != 0:
            pytest.skip("sidecar mode needs a file system without user xattrs: "
                        f"`mount -t ramfs` failed: {p.stderr.strip() or p.returncode}")
        self.mounted = True
        return self

    def __exit__(self, *exc):
        if self.mounted:
            p = subprocess.run(["umount", str(self.mountpoint)], capture_output=True, timeout=30)
            if p.returncode != 0:
                subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True, timeout=30)


# ---------------------------------------------------------------------------
# the origin: a threaded HTTP server on 127.0.0.1 that logs request paths
# ---------------------------------------------------------------------------

@dataclass
class Origin:
    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def start_origin() -> Origin:
    origin: Origin

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802
            with origin.lock:
                origin.requests.append(self.path)
            body = bodies.body_for(unquote(self.path))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    origin = Origin(server, thread)
    thread.start()
    return origin


def copy_dir_with_times(src: Path, dst: Path) -> None:
    """Copy the data files (non-dot names) of a cache with their mtimes."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if not entry.name.startswith("."):
            shutil.copy2(entry.path, dst / entry.name)


# ---------------------------------------------------------------------------
# vLLM's get racing a removal, and birth times (issue #11, sections 3 and 5)
# ---------------------------------------------------------------------------

def vllm_get_racing_removal(c: Cache, url: str, remove) -> bytes | None:
    """Run vLLM's own ``_get_cached_bytes(url)``, unchanged, with ``remove()``
    called right after its ``cache_path.stat()`` succeeded and before its
    ``cache_path.touch()``: the window in which another process (mediacache
    prune/evict, another vLLM's eviction) removes the entry. The only thing
    replaced is the Path object vLLM's ``_media_cache_path`` returned: a
    subclass whose ``stat()`` does the real stat, then calls ``remove()``
    once. Returns what vLLM's get returned."""
    conn = c.connector()
    real = conn.path(url)
    fired = []

    class RacingPath(type(real)):
        __slots__ = ()

        def stat(self, *args, **kwargs):
            st = super().stat(*args, **kwargs)
            if not fired:
                fired.append(True)
                remove()
            return st

    own = conn.impl._media_cache_path  # vLLM's, bound
    conn.impl._media_cache_path = lambda u: RacingPath(own(u)) if u == url else own(u)
    got = conn.get(url)
    assert fired, "vLLM's get never called stat() on the entry: the race was not run"
    return got


def birth_time(path: Path) -> int | None:
    """The file's birth time in whole seconds (statx, via coreutils `stat
    %W`), or None where the file system keeps none."""
    try:
        p = subprocess.run(["stat", "-c", "%W", str(path)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0 or not p.stdout.strip().lstrip("-").isdigit():
        return None
    value = int(p.stdout.strip())
    return value if value > 0 else None
