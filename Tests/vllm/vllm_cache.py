"""vLLM's own media-cache code, loaded from the vLLM wheel at test time.

Nothing of vLLM is copied into this repository. The wheel (vllm==0.33.0) is
fetched from PyPI with pip into a cache outside the repository
(``$MEDIACACHE_VLLM_WHEEL_DIR``, default ``${TMPDIR:-/tmp}/mediacache-vllm-wheel``)
the first time it is needed; later runs reuse it.

From the wheel this module takes, unchanged:

- ``vllm/envs.py``, executed as a standalone module (it imports only the
  standard library), so the settings are parsed by vLLM's own lambdas
  (Python ``int()`` / ``float()``);
- from ``vllm/multimodal/media/connector.py``: the ``MediaConnector`` methods
  ``_get_cached_bytes``, ``_put_cached_bytes``, ``_maybe_evict`` and
  ``_media_cache_path``, the statements of ``MediaConnector.__init__`` that set
  up the cache (from ``self._media_cache_dir`` to the end of the
  ``if media_cache:`` block), and the module-level imports those use. They are
  compiled from the file's AST (with its file name and line numbers, so a
  traceback points into vLLM's file) and bound to a small stand-in class.

Use ``load()`` to get a ``Vllm`` object; ``Vllm.connector()`` reads the
environment (``VLLM_MEDIA_CACHE`` & co.) exactly as ``MediaConnector.__init__``
does at that moment and returns an object with vLLM's cache methods.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import importlib.util
import logging
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path

VLLM_VERSION = "0.33.0"
PATHLIB_ABC_VERSION = "0.5.2"
CONNECTOR = "vllm/multimodal/media/connector.py"
ENVS = "vllm/envs.py"
CACHE_METHODS = ("_get_cached_bytes", "_put_cached_bytes", "_maybe_evict", "_media_cache_path")
# The module-level names of connector.py the cache methods (and the cache part
# of __init__) use; their import statements are taken from connector.py itself.
MODULE_NAMES = ("hashlib", "os", "tempfile", "time", "contextlib", "Path")
DOWNLOAD_TIMEOUT = float(os.environ.get("MEDIACACHE_VLLM_DOWNLOAD_TIMEOUT", "1800"))


class Unavailable(Exception):
    """The vLLM wheel (or another test input from PyPI) cannot be had."""


def wheel_dir() -> Path:
    d = os.environ.get("MEDIACACHE_VLLM_WHEEL_DIR")
    if d:
        return Path(d)
    return Path(os.environ.get("TMPDIR") or "/tmp") / "mediacache-vllm-wheel"


def _find(directory: Path, pattern: str) -> Path | None:
    found = sorted(directory.glob(pattern)) if directory.is_dir() else []
    return found[0] if found else None


def _pip_download(requirement: str, pattern: str, check_member: str | None) -> Path:
    """``pip download --no-deps REQ`` into wheel_dir() unless already there."""
    directory = wheel_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Unavailable(f"cannot create the wheel cache {directory}: {e}") from e

    def usable(path: Path | None) -> bool:
        if path is None:
            return False
        try:
            with zipfile.ZipFile(path) as z:
                return check_member is None or check_member in z.namelist()
        except (OSError, zipfile.BadZipFile):
            return False

    found = _find(directory, pattern)
    if usable(found):
        return found  # type: ignore[return-value]
    # One download at a time (parallel test runs, the concurrency workers).
    with open(directory / ".download.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _find(directory, pattern)
        if usable(found):
            return found  # type: ignore[return-value]
        if found is not None:
            found.unlink()  # a truncated earlier download
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-q", requirement, "-d", str(directory)]
        print(f"vllm_cache: fetching {requirement} into {directory} (once; reused by later runs)",
              file=sys.stderr)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Unavailable(f"`{' '.join(cmd)}` failed: {e}") from e
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise Unavailable(f"`pip download --no-deps {requirement}` exited {proc.returncode}: "
                              + " | ".join(tail))
        found = _find(directory, pattern)
        if not usable(found):
            raise Unavailable(f"pip download {requirement} left no usable wheel in {directory}")
        return found  # type: ignore[return-value]


def _once(fn):
    """Cache the result, and also the Unavailable error: one pip attempt per
    process, not one per test module."""
    memo: dict = {}

    @functools.wraps(fn)
    def wrapper():
        if "value" not in memo and "error" not in memo:
            try:
                memo["value"] = fn()
            except Unavailable as e:
                memo["error"] = e
        if "error" in memo:
            raise memo["error"]
        return memo["value"]
    return wrapper


@_once
def wheel() -> Path:
    return _pip_download(f"vllm=={VLLM_VERSION}", f"vllm-{VLLM_VERSION}-*.whl", CONNECTOR)


@_once
def pathlib_abc_wheel() -> Path:
    return _pip_download(f"pathlib-abc=={PATHLIB_ABC_VERSION}",
                         f"pathlib_abc-{PATHLIB_ABC_VERSION}-*.whl", "pathlib_abc/__init__.py")


@functools.lru_cache(maxsize=None)
def _sources() -> tuple[str, str]:
    with zipfile.ZipFile(wheel()) as z:
        return z.read(CONNECTOR).decode("utf-8"), z.read(ENVS).decode("utf-8")


def load_envs() -> types.ModuleType:
    """vLLM's envs.py as a standalone module (its getters read os.environ lazily)."""
    _, source = _sources()
    spec = importlib.util.spec_from_loader("vllm_envs_from_wheel", loader=None,
                                           origin=f"{wheel()}/{ENVS}")
    module = importlib.util.module_from_spec(spec)
    module.__file__ = f"{wheel()}/{ENVS}"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def _connector_parts(source: str):
    tree = ast.parse(source, CONNECTOR)
    imports: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a for a in node.names if (a.asname or a.name) in MODULE_NAMES]
        elif isinstance(node, ast.ImportFrom):
            names = [a for a in node.names if (a.asname or a.name) in MODULE_NAMES]
        else:
            continue
        if names:
            clone = ast.copy_location(type(node)(**{**node.__dict__, "names": names}), node)
            imports.append(clone)
    got = {a.asname or a.name for n in imports for a in n.names}
    if got != set(MODULE_NAMES):
        raise RuntimeError(f"{CONNECTOR}: module imports {sorted(set(MODULE_NAMES) - got)} not found")
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "MediaConnector"), None)
    if cls is None:
        raise RuntimeError(f"{CONNECTOR}: class MediaConnector not found")
    methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
    missing = [m for m in CACHE_METHODS if m not in methods]
    if missing:
        raise RuntimeError(f"{CONNECTOR}: MediaConnector lacks {missing}")
    # The cache set-up of __init__: from `self._media_cache_dir: ... = None`
    # through the `if media_cache:` block.
    init = methods["__init__"]
    start = next(i for i, s in enumerate(init.body)
                 if isinstance(s, ast.AnnAssign) and ast.unparse(s.target) == "self._media_cache_dir")
    end = next(i for i, s in enumerate(init.body)
               if i > start and isinstance(s, ast.If) and ast.unparse(s.test) == "media_cache")
    fields = dict(name="_init_media_cache", args=ast.arguments(
        posonlyargs=[], args=[ast.arg("self")], vararg=None, kwonlyargs=[], kw_defaults=[],
        kwarg=None, defaults=[]), body=init.body[start:end + 1], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:
        fields["type_params"] = []
    setup = ast.FunctionDef(**fields)
    ast.copy_location(setup, init.body[start])
    funcs = [methods[m] for m in CACHE_METHODS] + [setup]
    return imports, funcs


@functools.lru_cache(maxsize=None)
def _connector_class(envs_module: types.ModuleType, path_class: type | None = None) -> type:
    """vLLM's cache methods as a class. ``path_class`` replaces the ``Path``
    that connector.py imports (to run vLLM's code with another Python's
    pathlib rules); None keeps this interpreter's."""
    source, _ = _sources()
    imports, funcs = _connector_parts(source)
    module = ast.Module(body=imports + funcs, type_ignores=[])
    ast.fix_missing_locations(module)
    namespace: dict = {
        "__name__": "vllm_connector_from_wheel",
        "envs": envs_module,
        "logger": logging.getLogger("vllm.multimodal.media.connector"),
    }
    exec(compile(module, f"{wheel()}/{CONNECTOR}", "exec"), namespace)
    if path_class is not None:
        namespace["Path"] = path_class
    # Every global name the taken code reads must be defined here: a change
    # of vLLM's code that needs more shows up as an error, not a silent skip.
    import builtins  # noqa: PLC0415
    import dis  # noqa: PLC0415
    for fn in funcs:
        code = namespace[fn.name].__code__
        for ins in dis.get_instructions(code):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                if ins.argval not in namespace and not hasattr(builtins, ins.argval):
                    raise RuntimeError(f"vLLM's {fn.name} uses {ins.argval!r}, which the loader lacks")
    attrs = {name: namespace[name] for name in CACHE_METHODS}
    attrs["_init_media_cache"] = namespace["_init_media_cache"]
    attrs["__doc__"] = "Stand-in for vllm MediaConnector holding only the media cache settings."
    return type("MediaConnectorCache", (), attrs)


class Connector:
    """vLLM's cache methods on a stand-in holding the three settings."""

    def __init__(self, impl):
        self.impl = impl

    @property
    def cache_dir(self) -> str | None:
        return self.impl._media_cache_dir

    @property
    def max_bytes(self) -> int:
        return self.impl._media_cache_max_bytes

    @property
    def ttl_secs(self) -> float:
        return self.impl._media_cache_ttl_secs

    def get(self, url: str) -> bytes | None:
        return self.impl._get_cached_bytes(url)

    def put(self, url: str, data: bytes) -> None:
        self.impl._put_cached_bytes(url, data)

    def evict(self, exclude: Path | None = None) -> None:
        self.impl._maybe_evict(exclude=exclude)

    def path(self, url: str) -> Path:
        return self.impl._media_cache_path(url)

    def name(self, url: str) -> str:
        return self.impl._media_cache_path(url).name


class Vllm:
    def __init__(self):
        self.wheel = wheel()
        self.envs = load_envs()
        self.cls = _connector_class(self.envs)

    def connector(self, env: dict[str, str] | None = None, python: str | None = None,
                  rules: str = "pathlib-abc") -> Connector:
        """A stand-in set up as MediaConnector.__init__ does, from os.environ
        (updated with ``env`` for the duration of the call). ``python="3.14"``
        runs vLLM's code with Python 3.14's pathlib suffix rule (see
        ``Path314``; ``rules`` is its source: "pathlib-abc" or "table"); None
        with this interpreter's."""
        cls = self.cls if python is None else _connector_class(self.envs, path_class_for(python, rules))
        with patched_environ(env or {}):
            impl = cls()
            impl._init_media_cache()
        return Connector(impl)

    def setting(self, name: str, env: dict[str, str | None]):
        """envs.NAME read by vLLM's own getter under ``env`` (None = unset):
        ('ok', value) or ('error', exception)."""
        with patched_environ(env):
            try:
                return ("ok", getattr(self.envs, name))
            except Exception as e:  # what vLLM would raise at start-up
                return ("error", e)


@contextlib.contextmanager
def patched_environ(env: dict):
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@functools.lru_cache(maxsize=None)
def load() -> Vllm:
    """vLLM's cache code, or Unavailable with the reason."""
    return Vllm()


# ---------------------------------------------------------------------------
# Python 3.14's pathlib suffix rule, from the pathlib-abc backport
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def pathlib_abc():
    """The pathlib-abc package (CPython 3.14's pathlib ABCs, backported),
    imported from its wheel."""
    path = str(pathlib_abc_wheel())
    if path not in sys.path:
        sys.path.insert(0, path)
    import pathlib_abc as module  # noqa: PLC0415
    return module


def suffix_314_pathlib_abc(url: str) -> str:
    """The suffix Python 3.14 gives ``Path(url.split('?', 1)[0]).suffix``: the
    parts are parsed as every Python does (the running interpreter's pathlib
    normalisation, unchanged in 3.14), and the suffix of the last part is
    computed by pathlib-abc's ``JoinablePath.suffix`` (3.14's rule)."""
    abc = pathlib_abc()
    normalized = str(Path(url.split("?", 1)[0]))
    import posixpath  # noqa: PLC0415

    class P(abc.JoinablePath):
        parser = posixpath

        def __init__(self, *segments):
            self._segments = segments

        def with_segments(self, *segments):
            return type(self)(*segments)

        def __vfspath__(self):
            return posixpath.join(*self._segments) if self._segments else ""

        __fspath__ = __vfspath__
        __str__ = __vfspath__

    return P(normalized).suffix


# CPython 3.14's PurePath.suffix, as its Lib/pathlib/__init__.py has it:
#     name = self.name.lstrip('.'); i = name.rfind('.'); return name[i:] if i != -1 else ''
# (3.10 to 3.13: i = name.rfind('.'); name[i:] if 0 < i < len(name) - 1 else '').
# A table of names computed by that rule, the second rule source the tests use.
SUFFIX_314_TABLE = {
    "a.": ".",
    "a..": ".",
    "a.b.": ".",
    ".a.": ".",
    "..png": "",
    "...png": "",
    ".bashrc": "",
    "...": "",
    ".": "",
    "a..png": ".png",
    "..a.b": ".b",
    "a.png": ".png",
    "a.tar.gz": ".gz",
    "noext": "",
    "photo.jpg#v2": ".jpg#v2",
    "example.com": ".com",
    "example.com.": ".",
    "caf\u00e9.": ".",
}


def suffix_314_table(url: str) -> str:
    name = Path(url.split("?", 1)[0]).name
    if name not in SUFFIX_314_TABLE:
        raise KeyError(f"no 3.14 table row for the name {name!r}")
    return SUFFIX_314_TABLE[name]


def path_class_for(python: str, rules: str = "pathlib-abc") -> type:
    if python != "3.14":
        raise ValueError(f"no rules for Python {python}")
    return _path314(rules)


@functools.lru_cache(maxsize=None)
def _path314(rules: str) -> type:
    """A PosixPath whose ``suffix`` is Python 3.14's (from pathlib-abc, or
    from the table)."""
    import pathlib  # noqa: PLC0415

    if rules == "pathlib-abc":
        def suffix(self):
            return suffix_314_pathlib_abc(str(self))
    elif rules == "table":
        def suffix(self):
            return SUFFIX_314_TABLE[self.name] if self.name in SUFFIX_314_TABLE else _raise_no_row(self.name)
    else:
        raise ValueError(rules)
    return type("Path314", (type(pathlib.Path()),), {"suffix": property(suffix), "__slots__": ()})


def _raise_no_row(name: str):
    raise KeyError(f"no 3.14 table row for the name {name!r}")
