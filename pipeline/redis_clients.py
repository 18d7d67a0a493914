"""Redis clients whose commands hiredis packs in C, without redis-py encoding each argument in Python first.

redis-py (8.2) runs its Python ``Encoder.encode`` over every argument of every command before it
hands them to ``hiredis.pack_command``, which takes str, int, float and bytes itself. A page's
books send about ten arguments a record (keys, hashes, ledger entries), and that per-argument
encoding was a tenth of a worker's CPU (py-spy, ``scripts.step_cpu``). ``DirectPacker`` hands the
arguments to hiredis as they are. What hiredis refuses (a bytearray; a bool or None, which
redis-py rejects with its own ``DataError``) goes through redis-py's own serializer, so the bytes
sent and the errors raised are redis-py's, argument for argument.

Every Redis client of the workers is made here: the books', the broker's and the vendor budgets'.
"""

from __future__ import annotations

import redis

try:
    import hiredis
    # redis-py's internals (redis 5 to 8.2): a version without them packs as it does without us.
    from redis._parsers.encoders import Encoder
    from redis.connection import PythonRespSerializer
except ImportError:  # no hiredis: redis-py packs and parses in Python
    hiredis = None


class DirectPacker:
    """A redis-py command packer (``Connection(command_packer=...)``) for UTF-8 clients: hiredis packs."""

    def __init__(self) -> None:
        # redis-py's Python packer with its connections' defaults (UTF-8, strict; a buffer cutoff of 6000
        # bytes), for what hiredis refuses: the same bytes as hiredis, and redis-py's own errors.
        encoder = Encoder("utf-8", "strict", False)
        self._fallback = PythonRespSerializer(6000, encoder.encode)

    def pack(self, *args) -> list[bytes]:
        try:
            # A command name given with its subcommand ("SCRIPT LOAD") is two arguments: redis-py splits it.
            if (b" " if isinstance(args[0], bytes) else " ") not in args[0]:
                return [hiredis.pack_command(args)]
        except TypeError:
            pass
        return self._fallback.pack(*args)


def client(url: str) -> redis.Redis:
    """A client of the Redis at ``url``; ``DirectPacker`` packs its commands where hiredis is installed.

    A URL asking for another text encoding (``?encoding=latin-1``, ``?encoding_errors=replace``) gets
    redis-py's own packer, which encodes as asked: hiredis would send UTF-8.
    """
    options = redis.connection.parse_url(url)
    utf8 = (options.get("encoding", "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")
            and options.get("encoding_errors", "strict") == "strict")
    if hiredis is None or not utf8:
        return redis.Redis.from_url(url)
    return redis.Redis.from_url(url, command_packer=DirectPacker())
