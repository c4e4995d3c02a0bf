"""Group 1: what mediacache writes, vLLM's own `_get_cached_bytes` reads, and
mediacache names every URL exactly as vLLM's `_media_cache_path` does."""

from __future__ import annotations

import os

import pytest

import bodies
import support

support.vllm_or_skip()

# URLs whose file names must equal vLLM's. Each is hashed and suffixed by
# vLLM's own `_media_cache_path` (this interpreter's pathlib).
NAME_URLS = [
    "https://cdn.example/a/cat.png?size=large",
    "https://cdn.example/photo.jpg#v2",
    "https://cdn.example/a.png?x=1#frag",
    "https://cdn.example/a#b.png?c=d",
    "https://example.com",
    "https://example.com/",
    "https://example.com.",
    "http://127.0.0.1:8000",
    "http://[::1]:8080/x.jpg",
    "https://user:pw@cdn.example/a.jpg",
    "https://cdn.example/dir/",
    "https://cdn.example/a.tar.gz",
    "https://cdn.example/a.",
    "https://cdn.example/a..",
    "https://cdn.example/...",
    "https://cdn.example/a.b.",
    "https://cdn.example/.bashrc",
    "https://cdn.example/.hidden.png",
    "https://cdn.example/..png",
    "https://cdn.example/a..png",
    "https://cdn.example/a.png/",
    "https://cdn.example/a.png//",
    "https://cdn.example/a.png/.",
    "https://cdn.example/a.png/..",
    "https://cdn.example/IMG.JPEG",
    "HTTPS://CDN.EXAMPLE/A.PNG",
    "https://cdn.example/caf%C3%A9.webp",
    "https://cdn.example/%2e%2e.png",
    "https://cdn.example/x.png/?q=a.jpg",
    "https://cdn.example/render?fmt=.png",
    "https://cdn.example/a.png?",
    "https://cdn.example?x.png",
    "https://cdn.example/v1.2/image",
    "https://cdn.example/a\\b.png",
    "https://cdn.example/caf\u00e9.png",
    "https://cdn.example/cafe\u0301.png",
    "https://cdn.example/a.caf\u00e9",
    "https://cdn.example/a.cafe\u0301",
    "https://cdn.example/\u732b.\u732b",
    "https://cdn.example/a.\U0001F600",
    "https://cdn.example/a b.gif",
    "https://cdn.example/a b/c d.png?e f",
    "https://cdn.example/ .png",
    "https://cdn.example/a.png ",
    "https://cdn.example/%20.png",
    "https://cdn.example/a." + "x" * 100,
    "https://cdn.example/a." + "y" * 234,  # name of exactly 255 bytes
    "https://cdn.example/a.\u00e9" * 1 + "\u00e9" * 100,  # long non-ASCII suffix, 223 bytes
]


def _id(url: str) -> str:
    return url.encode("unicode_escape").decode()[:60]


@pytest.mark.parametrize("url", NAME_URLS, ids=_id)
def test_key_equals_vllm_name(xattr_cache, url):
    c = xattr_cache
    want = c.connector().name(url)
    assert len(want.encode()) <= 255, "test URL too long for a file name"
    r = c.mc("key", url)
    assert r.code == 0, f"mediacache key refused a URL vLLM names {want!r}: " + r.describe()
    got = r.text.rstrip("\n")
    assert got == want, f"key of {url!r}: mediacache says {got!r}, vLLM's _media_cache_path says {want!r}"


def test_key_nfc_and_nfd_are_two_names(xattr_cache):
    c = xattr_cache
    nfc, nfd = "https://cdn.example/caf\u00e9.png", "https://cdn.example/cafe\u0301.png"
    r = c.mc("key", nfc, nfd)
    assert r.code == 0, r.describe()
    got = r.text.splitlines()
    want = [c.connector().name(nfc), c.connector().name(nfd)]
    assert want[0] != want[1]
    assert got == want, f"`key NFC NFD` printed {got}, vLLM names them {want}"


PUT_URLS = [
    "https://cdn.example/a/cat.png?size=large",
    "https://cdn.example/photo.jpg#v2",
    "https://example.com",
    "https://cdn.example/caf\u00e9.webp",
    "https://cdn.example/a..png",
    "https://cdn.example/IMG.JPEG",
]


@pytest.mark.parametrize("url", PUT_URLS, ids=_id)
def test_put_then_vllm_get(cache, url):
    c = cache
    data = bodies.body_for(url, max_size=200_000)
    r = c.mc("put", url, "-", stdin=data)
    assert r.code == 0, r.describe()
    name = c.connector().name(url)
    assert name in c.data_files(), f"mediacache put stored {sorted(c.data_files())}, vLLM looks for {name}"
    # The metadata went where this mode says (so the parameter tests what it claims).
    if c.mode == "xattr":
        assert c.has_xattr(name), f"xattr mode, but {name} has no {support.XATTR} attribute"
    else:
        assert c.sidecar(name).is_file(), f"sidecar mode, but {c.sidecar(name)} is missing"
    c.age(name, 600)
    got = c.connector().get(url)
    assert got is not None, f"vLLM's _get_cached_bytes missed the entry mediacache put ({name})"
    assert got == data, f"vLLM read {len(got)} bytes, mediacache stored {len(data)} (content differs)"
    st = os.stat(c.dir / name)
    assert abs(st.st_mtime - __import__("time").time()) < 60, "vLLM's hit did not touch the mtime"


def test_fetch_then_vllm_get(cache, origin):
    c = cache
    urls = [origin.url(p) for p in ("/fetch/a.png", "/fetch/b.jpg?size=2", "/fetch/c", "/fetch/d.webp#x")]
    r = c.mc("fetch", *urls)
    assert r.code == 0, r.describe()
    conn = c.connector()
    for url in urls:
        got = conn.get(url)
        assert got is not None, f"vLLM missed {url} after mediacache fetch; dir has {sorted(c.data_files())}"
        assert got == bodies.url_body(url), f"vLLM read different bytes for {url} than the origin served"


def test_put_empty_body_is_a_recorded_empty_entry(cache):
    """An empty body that mediacache itself stored is a real entry (not poisoned)."""
    c = cache
    url = "https://cdn.example/empty.txt"
    c.mc_ok("put", "--allow-empty", url, "-", stdin=b"")
    assert c.connector().get(url) == b"", "vLLM did not read the empty entry mediacache stored"
    r = c.mc("get", url)
    assert r.code == 0 and r.out == b"", "mediacache get of an empty body it recorded itself: " + r.describe()
