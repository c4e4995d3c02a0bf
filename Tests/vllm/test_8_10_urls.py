"""Groups 8, 9, 10: URL identity is by UTF-8 bytes (NFC and NFD are two
entries), a URL with a space works end to end and goes on the wire as vLLM's
HTTP client would send it, and URL lists with CRLF, a BOM and trailing white
space are read whole."""

from __future__ import annotations

import pytest

import bodies
import support

support.vllm_or_skip()

try:
    from urllib3.util import parse_url  # what vLLM passes to its HTTP client
except ImportError:  # pragma: no cover - .ci/run installs it
    parse_url = None


# -- 8: NFC and NFD ---------------------------------------------------------

@pytest.mark.parametrize("how", ["arguments", "list"])
def test_fetch_nfc_and_nfd_are_two_entries(cache, origin, how, tmp_path):
    c = cache
    nfc = origin.url("/u8/caf\u00e9.png")
    nfd = origin.url("/u8/cafe\u0301.png")
    assert nfc != nfd and nfc.encode() != nfd.encode()
    if how == "arguments":
        r = c.mc("fetch", "--json", nfc, nfd)
    else:
        lst = tmp_path / "urls.txt"
        lst.write_text(nfc + "\n" + nfd + "\n", encoding="utf-8")
        r = c.mc("fetch", "--json", "-i", str(lst))
    assert r.code == 0, r.describe()
    reported = [o["url"] for o in r.json_lines()]
    assert sorted(reported) == sorted([nfc, nfd]), (
        f"fetch reported {[u.encode() for u in reported]}; the two URLs differ in their bytes "
        f"and are two entries for vLLM")
    conn = c.connector()
    want = {conn.name(nfc), conn.name(nfd)}
    got = set(c.data_files())
    assert got == want, f"fetch stored {sorted(got)}, vLLM names the two URLs {sorted(want)}"
    for u in (nfc, nfd):
        assert conn.get(u) == bodies.url_body(u), f"vLLM reads other bytes for {u.encode()}"
        r = c.mc("get", u)
        assert r.code == 0 and r.out == bodies.url_body(u), r.describe()


def test_put_nfc_and_nfd_then_evict_one(cache):
    c = cache
    nfc, nfd = "https://cdn.example/caf\u00e9.jpg", "https://cdn.example/cafe\u0301.jpg"
    c.mc_ok("put", nfc, "-", stdin=b"nfc")
    c.mc_ok("put", nfd, "-", stdin=b"nfd")
    conn = c.connector()
    assert conn.get(nfc) == b"nfc" and conn.get(nfd) == b"nfd", "NFC and NFD must be two entries"
    c.mc_ok("evict", nfd)
    assert conn.get(nfc) == b"nfc", "evicting the NFD URL removed the NFC entry"
    assert conn.get(nfd) is None, "evicting the NFD URL left its entry"
    urls = {row["url"] for row in c.list_json()}
    assert urls == {nfc}, f"list shows URLs {[u.encode() if u else u for u in urls]}"


# -- 9: a space in the URL ----------------------------------------------------

def test_url_with_space(cache, origin):
    c = cache
    url = origin.url("/u9/a b.gif")
    name = c.connector().name(url)
    assert c.key(url) == name
    origin.clear()
    r = c.mc("fetch", "--json", url)
    assert r.code == 0, "fetch of a URL with a space (vLLM caches it): " + r.describe()
    assert name in c.data_files(), f"fetch stored {sorted(c.data_files())}, vLLM's name is {name}"
    sent = [p for p in origin.paths() if "u9" in p]
    assert parse_url is not None, "urllib3 is needed (vLLM's own dependency): pip install urllib3"
    want = parse_url(parse_url(url).url).request_uri
    assert sent == [want], f"the origin was asked for {sent}; vLLM's client (urllib3 parse_url) asks for {want!r}"
    assert c.connector().get(url) == bodies.url_body(url)
    r = c.mc("get", url)
    assert r.code == 0 and r.out == bodies.url_body(url), r.describe()
    r = c.mc("evict", "--json", url)
    assert r.code == 0 and r.json()["keys"] == [name], r.describe()
    assert name not in c.data_files()


def test_url_with_space_put_by_vllm(cache):
    c = cache
    url = "https://cdn.example/u9/x y.png?q r"
    c.connector().put(url, b"spaced")
    r = c.mc("get", url)
    assert r.code == 0 and r.out == b"spaced", "mediacache get of vLLM's entry for a URL with spaces: " + r.describe()
    r = c.mc("evict", url)
    assert r.code == 0, r.describe()
    assert c.data_files() == {}, c.data_files()


@pytest.mark.parametrize("path", ["/u9/caf\u00e9.png", "/u9/a b.gif?x y", "/u9/sp ace/\u732b.jpg"])
def test_wire_request_matches_vllm_client(cache, origin, path):
    c = cache
    url = origin.url(path)
    origin.clear()
    r = c.mc("fetch", url)
    assert r.code == 0, r.describe()
    want = parse_url(parse_url(url).url).request_uri
    sent = origin.paths()
    assert sent == [want], f"{url!r}: mediacache sent {sent}, vLLM's client would send {want!r}"


# -- 10: URL lists ------------------------------------------------------------

@pytest.mark.parametrize("variant", ["crlf", "bom+crlf", "trailing-space", "bom+lf", "cr-only-last"])
def test_url_list_line_endings(cache, origin, tmp_path, variant):
    c = cache
    urls = [origin.url(f"/u10/{variant}/{i}.png") for i in range(5)]
    if variant == "crlf":
        raw = "\r\n".join(urls) + "\r\n"
    elif variant == "bom+crlf":
        raw = "\ufeff" + "\r\n".join(urls) + "\r\n"
    elif variant == "trailing-space":
        raw = "".join(u + " \t \n" for u in urls)
    elif variant == "bom+lf":
        raw = "\ufeff" + "\n".join(urls)
    else:
        raw = "\n".join(urls) + "\r"
    lst = tmp_path / "urls.txt"
    lst.write_bytes(raw.encode("utf-8"))
    r = c.mc("fetch", "--json", "-i", str(lst))
    assert r.code == 0, f"fetch -i of a {variant} list: " + r.describe()
    got = sorted(o["url"] for o in r.json_lines())
    assert got == sorted(urls), f"{variant} list: fetch saw {got}, the list holds {urls}"
    conn = c.connector()
    missing = [u for u in urls if conn.get(u) != bodies.url_body(u)]
    assert not missing, f"{variant} list: not cached for vLLM: {missing}"


def test_url_list_from_stdin_crlf(cache, origin):
    c = cache
    urls = [origin.url(f"/u10/stdin/{i}.jpg") for i in range(3)]
    r = c.mc("fetch", "--json", "-i", "-", stdin=("\ufeff" + "\r\n".join(urls) + "\r\n").encode())
    assert r.code == 0, r.describe()
    assert sorted(o["url"] for o in r.json_lines()) == sorted(urls), r.describe()
