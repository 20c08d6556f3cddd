"""uvicorn's httptools protocol with a cap on the request head: 431 instead of buffering without end.

Both servers of the project use it: the stand-in, and the test IdP (which may import the validator;
never the reverse). httptools keeps a header's name and value in its own buffers until the header
ends, so the cap has to hold before the parser sees the bytes. They are counted as they arrive,
from the end of one request's headers to the end of the next one's (RFC 6585 section 5).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
_BODY = b'{"error":"invalid_request","error_description":"the request line and headers exceed 16 KiB"}'
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class HeadCappedHttpTools(HttpToolsProtocol):
    """At most MAX_HEAD_BYTES from a request's first byte to the end of its headers.

    A read that finishes one request and starts the next lets the rest of that read into the next
    head uncounted (asyncio reads at most 256 KiB): memory stays bounded either way.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_pending = True
        self._head_bytes = 0
        self._heads_done = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        room = MAX_HEAD_BYTES - self._head_bytes
        if not self._head_pending or len(data) <= room:
            self._head_bytes += len(data) if self._head_pending else 0
            super().data_received(data)
            return
        # Feed only what the cap allows; a body that came in the same read must not count as head.
        heads_done = self._heads_done
        self._head_bytes = MAX_HEAD_BYTES
        super().data_received(data[:room])
        if self._heads_done == heads_done:
            self._refused = True
            self.transport.write(TOO_LARGE)
            self.transport.close()
            return
        self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._head_pending = False
        self._head_bytes = 0
        self._heads_done += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head_pending = True
        super().on_message_complete()
