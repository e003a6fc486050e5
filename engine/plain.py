"""Plain data: turning result dataclasses into JSON-ready values and back.

Used to store the first answer to an idempotent request and to replay it unchanged.
``from_plain(cls, to_plain(x)) == x`` for the engine's result dataclasses; an answer stored
by an earlier version, without a field added since with a default, is read with the default.
``fingerprint_json`` leaves out the fields at their default, so that a request retried
across an upgrade that gave its command a new field (with a default) is the same request.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal


_SCALARS = frozenset({str, int, bool, float, type(None)})
# per type: its dataclass fields, or None for any other type (asked once: every request and
# answer goes through here, and is_dataclass is slow for what is not one, a tuple say)
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_NOT_SEEN = object()


def to_plain(value):
    """``value`` as JSON-ready data: dataclasses become dicts, instants ISO text, decimals text."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELD_NAMES.get(kind, _NOT_SEEN)
    if names is _NOT_SEEN:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind)) \
            if dataclasses.is_dataclass(kind) else None
    # (scalars are passed through in place, without a call: every request is fingerprinted
    # and every answer stored this way)
    if names is not None:
        return {name: v if type(v) in _SCALARS else to_plain(v) for name in names for v in (getattr(value, name),)}
    if isinstance(value, dict):
        return {str(k): v if type(v) in _SCALARS else to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else to_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def canonical_json(value) -> str:
    """One text for equal values: sorted keys, no spaces (what request fingerprints hash)."""
    return json.dumps(to_plain(value), sort_keys=True, separators=(",", ":"))


def fingerprint_json(value) -> str:
    """``canonical_json`` without the dataclass fields that hold their declared default.

    A command that gains a field with a default (a new option) fingerprints as before for
    every request that does not use it: an offline till's retry, sent days later across
    the upgrade, is still recognised as the same request.
    """
    return json.dumps(_without_defaults(value), sort_keys=True, separators=(",", ":"))


_NO_DEFAULT = object()
_DEFAULTS: dict[type, tuple[tuple[str, object], ...] | None] = {}  # per type: (field, its default or _NO_DEFAULT)


def _without_defaults(value):
    kind = type(value)
    if kind in _SCALARS:
        return value
    defaults = _DEFAULTS.get(kind, _NOT_SEEN)
    if defaults is _NOT_SEEN:
        defaults = _DEFAULTS[kind] = tuple(
            (f.name, f.default if f.default is not dataclasses.MISSING
             else f.default_factory() if f.default_factory is not dataclasses.MISSING else _NO_DEFAULT)
            for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
    if defaults is not None:
        # the type is compared too: False == 0, but a flag set to 0 is not the flag's default
        return {name: v if type(v) in _SCALARS else _without_defaults(v)
                for name, default in defaults for v in (getattr(value, name),)
                if not (type(v) is type(default) and v == default)}
    if isinstance(value, dict):
        return {str(k): v if type(v) in _SCALARS else _without_defaults(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else _without_defaults(v) for v in value]
    return to_plain(value)


def from_plain(cls, data):
    """Rebuild a value of type ``cls`` from ``to_plain`` output."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        return from_plain(options[0], data)
    if origin in (list, tuple):
        (item,) = typing.get_args(cls)[:1]
        values = [from_plain(item, v) for v in data]
        return values if origin is list else tuple(values)
    if origin is dict:
        _, value_type = typing.get_args(cls)
        return {k: from_plain(value_type, v) for k, v in data.items()}
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        # an answer stored before a field with a default was added takes the default
        return cls(**{f.name: from_plain(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)
                      if f.name in data or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)})
    if cls is tuple:
        # a bare tuple: a class compiled by mypyc (engine.native) keeps no item types in its
        # annotations, and a tuple's items are tuples too (a rule award's lines)
        return _tuples(data)
    if cls is datetime:
        return datetime.fromisoformat(data)
    if cls is date:
        return date.fromisoformat(data)
    if cls is Decimal:
        return Decimal(data)
    return data


def _tuples(data):
    """JSON arrays back to tuples, all the way down."""
    return tuple(_tuples(v) for v in data) if isinstance(data, list) else data
