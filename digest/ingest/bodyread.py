"""A response body read with its decoded size bounded at every step, not after each network read.

httpx decodes a whole network read at once: 64 KB of gzip become 64 MB, and 6 KB of brotli
can become 4 GB before any cap is looked at. So the fetch layer reads the raw bytes and
decodes them itself, asking each decoder (zlib's ``max_length``, brotli's
``output_buffer_limit``) for at most ``STEP`` bytes at a time: the decoded body never
exceeds the cap by more than one step, whatever the compression ratio. The raw bytes count
against the cap too, so bytes after the end of a compressed stream cannot pile up either.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Iterator

import brotli

from digest.core.errors import SourceError
from digest.core.vocabulary import size_text

STEP = 64 * 1024
"""Most bytes one decoding step may produce."""
MAX_CODINGS = 2
"""Most content codings stacked on one body ("gzip, br"); servers use one, a bomb may use many."""


class BodyError(SourceError):
    """The body is over the cap, or its content coding is broken or refused."""


Decoder = Callable[[bytes], Iterator[bytes]]


def read_body(url: str, raw: Iterable[bytes], content_encoding: str, max_bytes: int) -> bytes:
    """The decoded body of ``raw`` (the bytes as they came), refused past ``max_bytes``."""
    decoders = _decoders(url, content_encoding)
    body, received = io.BytesIO(), 0

    def take(pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            if body.tell() + len(piece) > max_bytes:
                raise BodyError(url, f"body over the {size_text(max_bytes)} cap (after decompression)")
            body.write(piece)

    try:
        for chunk in raw:
            received += len(chunk)
            if received > max_bytes:
                raise BodyError(url, f"body over the {size_text(max_bytes)} cap")
            take(_through(decoders, chunk))
        take(_drained(decoders))
    except (zlib.error, brotli.error) as exc:
        raise BodyError(url, f"cannot decode body ({content_encoding}): {exc}") from None
    # getvalue() hands over the buffer itself: the body is not held twice.
    return body.getvalue()


def _through(decoders: list[Decoder], chunk: bytes) -> Iterator[bytes]:
    """``chunk`` through every decoder in turn, lazily: no stage holds more than one step."""
    if not decoders:
        yield chunk
        return
    first, rest = decoders[0], decoders[1:]
    for piece in first(chunk):
        yield from _through(rest, piece)


def _drained(decoders: list[Decoder]) -> Iterator[bytes]:
    """At the end of the body: what each decoder still holds, through the decoders after it."""
    for index, decoder in enumerate(decoders):
        for piece in decoder(b""):
            yield from _through(decoders[index + 1:], piece)


def _decoders(url: str, content_encoding: str) -> list[Decoder]:
    """The decoders for a Content-Encoding header, outermost first (the header lists them innermost
    first). Unknown codings are passed through as httpx does, and sniffing judges the bytes."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    known = [c for c in codings if c in _MAKERS]
    if len(known) > MAX_CODINGS:
        raise BodyError(url, f"{len(known)} content codings stacked ({content_encoding}); at most "
                             f"{MAX_CODINGS} are accepted")
    return [_MAKERS[coding]() for coding in reversed(known)]


class _Inflate:
    """gzip or deflate, ``STEP`` bytes of output at a time."""

    def __init__(self, wbits: int, fallback_wbits: int | None = None):
        self.inflate, self.fallback_wbits, self.started = zlib.decompressobj(wbits), fallback_wbits, False

    def __call__(self, data: bytes) -> Iterator[bytes]:
        if self.inflate.eof:  # bytes after the end of the stream are ignored (they were counted)
            return
        try:
            out = self.inflate.decompress(data, STEP)
        except zlib.error:
            if self.started or self.fallback_wbits is None:
                raise
            # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
            self.inflate = zlib.decompressobj(self.fallback_wbits)
            out = self.inflate.decompress(data, STEP)
        self.started = True
        yield out
        while self.inflate.unconsumed_tail and not self.inflate.eof:
            yield self.inflate.decompress(self.inflate.unconsumed_tail, STEP)


def _brotli() -> Decoder:
    inflate = brotli.Decompressor()

    def decode(data: bytes) -> Iterator[bytes]:
        # can_accept_more_data() may say True with output still held back: ask until none comes.
        while not inflate.is_finished():
            out = inflate.process(data, output_buffer_limit=STEP)
            data = b""
            yield out
            if not out and inflate.can_accept_more_data():
                return

    return decode


_MAKERS: dict[str, Callable[[], Decoder]] = {
    "gzip": lambda: _Inflate(zlib.MAX_WBITS | 16),
    "x-gzip": lambda: _Inflate(zlib.MAX_WBITS | 16),
    "deflate": lambda: _Inflate(zlib.MAX_WBITS, -zlib.MAX_WBITS),
    "br": _brotli,
}
