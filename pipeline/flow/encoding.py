"""Message encoding: JSON through orjson, several times faster than the standard library's.

The bytes are plain JSON, so Dramatiq's own JSONEncoder reads them just the same.

Dramatiq has one encoder per process (``dramatiq.set_encoder``), used by ``Message.encode`` when a
broker enqueues and by every broker's consumer when it decodes. Setting it whenever a broker is
built would change every other broker of the process too (a benchmark's plain one, a library
user's own), so nothing here sets it. Instead the messages our chains send are of a class that
encodes itself with the application's encoder (``message_class``): sending needs no global.
Decoding has no such seam (the consumers call ``Message.decode``, which reads the global), so the
workers' entry point, which owns its process as it owns the global broker, sets orjson there too.
"""

from __future__ import annotations

import orjson
from dramatiq import Message
from dramatiq.encoder import DecodeError, Encoder


class EncodedPage(list):
    """A page of records that carries its own JSON encoding, made once when it was checked to be sendable.

    ``OrjsonEncoder`` puts ``json`` into the message as it is instead of encoding the page a second
    time; any other encoder sees a plain list. Not to be changed once made: the bytes would not follow.
    """

    __slots__ = ("json",)

    def __init__(self, records: list, json: bytes) -> None:
        super().__init__(records)
        self.json = json


class OrjsonEncoder(Encoder):
    def encode(self, data) -> bytes:
        kwargs = data.get("kwargs") if type(data) is dict else None
        if kwargs and any(type(value) is EncodedPage for value in kwargs.values()):
            # A message's page, already encoded: its bytes go in as they are (the second encoding of
            # the page was a good share of what sending it cost).
            data = {**data, "kwargs": {name: orjson.Fragment(value.json) if type(value) is EncodedPage else value
                                       for name, value in kwargs.items()}}
        return orjson.dumps(data)

    def decode(self, data: bytes):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise DecodeError(f"failed to decode message {data[:200]!r}", data, error) from None


def message_class(encoder: Encoder) -> type[Message]:
    """A ``Message`` class whose messages encode themselves with ``encoder``, whatever the global one is.

    >>> Encoded = message_class(OrjsonEncoder())
    >>> Encoded("normal", "load", (), {"n": 1}, {}, message_id="m", message_timestamp=0).encode()[:49]
    b'{"queue_name":"normal","actor_name":"load","args"'
    """

    # No new fields (they would be encoded into every message): only encode() differs. Copies made
    # by the broker (dataclasses.replace) keep the class, so a delayed message is encoded alike.
    class EncodedMessage(Message):
        def encode(self) -> bytes:
            return encoder.encode(self.asdict())

    return EncodedMessage
