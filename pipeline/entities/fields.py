"""The custom marshmallow fields that turn vendor values into canonical ones."""

from __future__ import annotations

import datetime as dt
import decimal

import pycountry
from marshmallow import fields


class TrimmedString(fields.String):
    """A string without leading or trailing whitespace (ERP exports are full of it)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Email(fields.Email):
    """An email address, trimmed and lower-cased so that it can be used as a key."""

    default_error_messages = {"invalid": "Not a valid email address."}

    # marshmallow runs the Email validator after _deserialize, so it sees the normalised value.
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class Money(fields.Decimal):
    """An amount as an exact ``Decimal``, dumped as a string so that it survives JSON.

    Floats are read through ``str(value)`` (``0.1`` gives ``Decimal("0.1")``, not the binary
    ``0.1000000000000000055...``). Nothing is rounded on load: the source's precision is kept.
    """

    default_error_messages = {"invalid": "Not a valid amount."}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("as_string", True)
        super().__init__(**kwargs)

    def _validated(self, value) -> decimal.Decimal:
        # Anything else (lists, bytes, dicts) would only reach Decimal through its repr.
        if not isinstance(value, (str, int, float, decimal.Decimal)):
            raise self.make_error("invalid")
        if isinstance(value, float):
            value = str(value)
        return super()._validated(value)


class UtcDateTime(fields.DateTime):
    """An ISO 8601 date and time, converted to UTC; a naive value is taken to be UTC already."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 datetime."}

    def __init__(self, **kwargs) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        # Python 3.10's fromisoformat does not read the "Z" suffix that most APIs send.
        if isinstance(value, str) and value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"
        return _as_utc(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else _as_utc(value).isoformat()


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 country code, trimmed and upper-cased (``"de "`` gives ``"DE"``)."""

    default_error_messages = {"invalid_country": "Not a valid ISO 3166-1 alpha-2 country code: {input!r}."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        # pycountry's lookup is case-insensitive and matches other keys, so check the shape first.
        if len(code) != 2 or not code.isalpha() or pycountry.countries.get(alpha_2=code) is None:
            raise self.make_error("invalid_country", input=value)
        return code


class CurrencyCode(fields.String):
    """An ISO 4217 currency code, trimmed and upper-cased (``"eur"`` gives ``"EUR"``)."""

    default_error_messages = {"invalid_currency": "Not a valid ISO 4217 currency code: {input!r}."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 3 or not code.isalpha() or pycountry.currencies.get(alpha_3=code) is None:
            raise self.make_error("invalid_currency", input=value)
        return code
