"""Deterministic test bodies, shared by the origin server, the tests and the
vLLM worker processes: the bytes of a URL are derived from its path and query
(percent-decoded), so anyone can check an entry's bytes.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote, urlsplit


def body_for(key: str, min_size: int = 1, max_size: int = 40_000) -> bytes:
    """1..40000 bytes (never empty, so a 0-byte file is always a poisoned one)."""
    seed = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    size = min_size + int.from_bytes(seed[:4], "big") % (max_size - min_size + 1)
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def request_key(url: str) -> str:
    """The part of a URL the origin derives its body from: path and query,
    percent-decoded (so it is the same whether or not a client encoded
    non-ASCII characters or spaces before sending)."""
    parts = urlsplit(url)
    return unquote(parts.path + ("?" + parts.query if parts.query else ""))


def url_body(url: str) -> bytes:
    return body_for(request_key(url))
