"""The vocabulary in which we describe Kurento's remote API.

Kurento publishes its API as KMD interface files; we write our own description
(in `core.py`, `elements.py`, `filters.py`) with these frozen dataclasses, and
both the server's dispatch and the client's proxies are driven from it.

Type names are the wire type names of the Kurento Protocol reference §1.5:
``String``, ``boolean``, ``int``, ``int64``, ``float``, ``double``, the name of an
enum, struct or remote class, ``T[]`` for lists and ``T<>`` for string-keyed maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final


class _NoDefault:
    """Marker for a parameter that has no default value."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT: Final = _NoDefault()


@dataclass(frozen=True)
class Param:
    """A constructor or method parameter, or a struct/event field."""

    name: str
    type: str
    optional: bool = False
    default: Any = NO_DEFAULT
    doc: str = ""


@dataclass(frozen=True)
class Method:
    name: str
    params: tuple[Param, ...] = ()
    returns: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Property:
    """A remote property, reached with ``get<Name>`` and, when writable, ``set<Name>``.

    ``final`` properties are fixed at creation; ``read_only`` ones change on the
    server only. Neither kind has a setter (reference §1.6 "Which properties can be set").
    """

    name: str
    type: str
    read_only: bool = False
    final: bool = False
    default: Any = NO_DEFAULT
    doc: str = ""

    @property
    def writable(self) -> bool:
        return not (self.read_only or self.final)

    @property
    def getter(self) -> str:
        return "get" + self.name[:1].upper() + self.name[1:]

    @property
    def setter(self) -> str:
        return "set" + self.name[:1].upper() + self.name[1:]


@dataclass(frozen=True)
class RemoteClass:
    name: str
    extends: str | None = None
    abstract: bool = False
    constructor: tuple[Param, ...] | None = None
    properties: tuple[Property, ...] = ()
    methods: tuple[Method, ...] = ()
    events: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Event:
    name: str
    extends: str | None = None
    fields: tuple[Param, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    doc: str = ""


@dataclass(frozen=True)
class StructType:
    name: str
    fields: tuple[Param, ...] = ()
    extends: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Module:
    """One Kurento module (core, elements, filters).

    All three are labelled ``kurento`` on the wire (ids, ``__module__``,
    ``qualifiedType``): reference §1.4.
    """

    name: str
    version: str
    classes: tuple[RemoteClass, ...] = ()
    events: tuple[Event, ...] = ()
    enums: tuple[EnumType, ...] = ()
    structs: tuple[StructType, ...] = ()
    doc: str = ""
    wire_label: str = field(default="kurento")
