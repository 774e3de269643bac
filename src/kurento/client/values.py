"""Python values ↔ wire values, for the typed client (reference §1.5).

Outgoing values need no type information: proxies become their id, structs
their ``__module__``/``__type__``-tagged object, enums their exact wire string.
Incoming values are decoded by their declared wire type name (``"Tag[]"``,
``"MediaElement"``, ``"Stats<>"``…) through the :class:`TypeTable` of the
generated module. A value the server should never send (a bad enum string, a
struct that is not an object) is the peer's fault: ``ProtocolViolation``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Protocol, Self

from kurento.protocol.errors import ProtocolViolation


class _NoFill:
    """Marker: an omitted optional parameter has no value to fill in."""

    def __repr__(self) -> str:
        return "NO_FILL"


NO_FILL: Final = _NoFill()

WireParams = Sequence[tuple[str, Any, Any]]
"""``(wire name, value or None, fill)`` per declared parameter, in declared order."""


class Referenceable:
    """Anything that travels on the wire as an object id (the proxies)."""

    def wire_ref(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class FieldSpec:
    """One field of a struct or event: Python name, wire name, wire type."""

    name: str
    wire: str
    type: str
    optional: bool = False


@dataclass(frozen=True)
class TypeTable:
    """Everything the generated module declares, by wire name."""

    classes: Mapping[str, type[Referenceable]]
    structs: Mapping[str, type[Struct]]
    enums: Mapping[str, type[enum.Enum]]
    events: Mapping[str, type[Event]]


class Context(Protocol):
    """What decoding needs: the type table and a way to make proxies."""

    @property
    def types(self) -> TypeTable: ...

    def proxy(self, object_id: str, declared: str) -> Referenceable: ...


class _Record:
    """Shared by structs and events: a frozen dataclass described by ``FIELDS``."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    @classmethod
    def _kind(cls) -> str:
        return cls.__name__

    @classmethod
    def from_wire(cls, data: Any, context: Context) -> Self:
        if not isinstance(data, dict):
            raise ProtocolViolation(f"{cls._kind()}: expected an object, got {data!r:.100}")
        kwargs: dict[str, Any] = {}
        for spec in cls.FIELDS:
            raw = data.get(spec.wire)
            if raw is None:
                if not spec.optional:
                    raise ProtocolViolation(f"{cls._kind()}: field '{spec.wire}' is missing")
                continue  # the dataclass default applies
            value = decode(raw, spec.type, context)
            kwargs[spec.name] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)


class Struct(_Record):
    """Base of the generated struct dataclasses (KMD complex types, ``REGISTER``)."""

    WIRE_TYPE: ClassVar[str] = ""
    WIRE_MODULE: ClassVar[str] = "kurento"

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"__module__": self.WIRE_MODULE, "__type__": self.WIRE_TYPE}
        for spec in self.FIELDS:
            value = getattr(self, spec.name)
            if value is not None:  # unset optional fields are omitted, as KMS does
                out[spec.wire] = encode(value)
        return out


class Event(_Record):
    """Base of the generated event dataclasses; ``EVENT_TYPE`` is the wire name."""

    EVENT_TYPE: ClassVar[str] = ""


# --- encoding ---------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A Python value as JSON-ready wire data."""
    if isinstance(value, Referenceable):
        return value.wire_ref()
    if isinstance(value, Struct):
        return value.to_wire()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    return value


def build_params(params: WireParams) -> dict[str, Any]:
    """The ``operationParams``/``constructorParams`` object for declared params.

    KMS binds optional params positionally (reference §1.6): an optional param
    counts only if every optional param before it is present. So when a later
    param is given, an omitted earlier one is sent with its declared default
    (``fill``) where the description has one.
    """
    last = max((i for i, (_, value, _) in enumerate(params) if value is not None), default=-1)
    out: dict[str, Any] = {}
    for wire, value, fill in params[: last + 1]:
        if value is not None:
            out[wire] = encode(value)
        elif fill is not NO_FILL:
            out[wire] = fill
    return out


# --- decoding ---------------------------------------------------------------------

_PRIMITIVES = frozenset({"String", "boolean", "int", "int64", "float", "double"})


def decode(value: Any, type_name: str | None, context: Context) -> Any:
    """Wire data as the Python value of the declared wire type."""
    if value is None or type_name is None:
        return value
    if type_name.endswith("[]"):
        if not isinstance(value, list):
            raise ProtocolViolation(f"expected a list of {type_name[:-2]}, got {value!r:.100}")
        return [decode(item, type_name[:-2], context) for item in value]
    if type_name.endswith("<>"):
        if not isinstance(value, dict):
            raise ProtocolViolation(f"expected a map of {type_name[:-2]}, got {value!r:.100}")
        return {str(k): decode(item, type_name[:-2], context) for k, item in value.items()}
    if type_name in _PRIMITIVES:
        return _primitive(value, type_name)
    types = context.types
    if type_name in types.enums:
        try:
            return types.enums[type_name](value)
        except ValueError:
            raise ProtocolViolation(f"'{value}' is not a {type_name}") from None
    if type_name in types.structs:
        return _struct(value, types.structs[type_name], context)
    if type_name in types.classes:
        if not isinstance(value, str):
            raise ProtocolViolation(f"expected an object id, got {value!r:.100}")
        return context.proxy(value, type_name)
    return value


def _struct(value: Any, declared: type[Struct], context: Context) -> Struct:
    """Decode a struct, honouring a ``__type__`` that names a registered subtype."""
    klass = declared
    if isinstance(value, dict):
        actual = context.types.structs.get(str(value.get("__type__")))
        if actual is not None and issubclass(actual, declared):
            klass = actual
    return klass.from_wire(value, context)


def _primitive(value: Any, type_name: str) -> Any:
    if type_name == "String":
        return value if isinstance(value, str) else str(value)
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        raise ProtocolViolation(f"expected a boolean, got {value!r:.100}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProtocolViolation(f"expected a number, got {value!r:.100}")
    try:
        return int(value) if type_name in ("int", "int64") else float(value)
    except ValueError:
        raise ProtocolViolation(f"expected a number, got {value!r:.100}") from None
