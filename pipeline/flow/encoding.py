"""Message encoding: JSON through orjson, several times faster than the standard library's.

The bytes are plain JSON, so workers with Dramatiq's own JSONEncoder read them just the same.
"""

from __future__ import annotations

import orjson
from dramatiq.encoder import DecodeError, Encoder


class OrjsonEncoder(Encoder):
    def encode(self, data) -> bytes:
        return orjson.dumps(data)

    def decode(self, data: bytes):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise DecodeError(f"failed to decode message {data[:200]!r}", data, error) from None
