"""Values on the wire ↔ Python values, typed by our API description.

Input is lenient like KMS (reference §1.5, §5 item 15): ``"2000"`` is accepted
for an int, ``2000`` for a string, ``"true"`` for a boolean. Structs carry
``__module__``/``__type__`` on output; on input those markers are optional and,
when present, select a registered subtype. Remote-object values travel as id
strings; resolving them to objects is the caller's job (``resolve``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from kurento.api.model import NO_DEFAULT, Param
from kurento.api.registry import ApiRegistry
from kurento.protocol.errors import MarshallError, UnexpectedError

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class HasId(Protocol):
    @property
    def id(self) -> str: ...


Resolver = Callable[[str, str], Any]
"""``resolve(object_id, expected_class)`` → the object, or raise the Kurento error."""


def _wrong(name: str, what: str) -> MarshallError:  # type: ignore[valid-type]
    return MarshallError(f"'{name}' parameter should be {what}")


_ARTICLES = {
    "String": "a string",
    "boolean": "a boolean",
    "int": "an integer",
    "int64": "a int64",
    "float": "a double",
    "double": "a double",
}


def _to_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return number if math.isfinite(number) else None
    return None


def coerce_primitive(value: Any, type_name: str, name: str) -> Any:
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise _wrong(name, _ARTICLES[type_name])
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _wrong(name, _ARTICLES[type_name])
    number = _to_number(value)
    if type_name in ("int", "int64"):
        low, high = INT32 if type_name == "int" else INT64
        if (
            number is None
            or (isinstance(number, float) and not number.is_integer())
            or not low <= number <= high
        ):
            raise _wrong(name, _ARTICLES[type_name])
        return int(number)
    if number is None:
        raise _wrong(name, _ARTICLES[type_name])
    return float(number)


class Marshaller:
    """Coerces parameters in and serializes results out, for one registry."""

    def __init__(self, registry: ApiRegistry) -> None:
        self.registry = registry

    # --- input ---------------------------------------------------------------------

    def coerce(self, value: Any, type_name: str, name: str, resolve: Resolver) -> Any:
        if type_name.endswith("[]"):
            if not isinstance(value, list):
                raise _wrong(name, "a list")
            return [self.coerce(item, type_name[:-2], name, resolve) for item in value]
        if type_name.endswith("<>"):
            if not isinstance(value, dict):
                raise _wrong(name, "a map")
            return {
                str(key): self.coerce(item, type_name[:-2], name, resolve)
                for key, item in value.items()
            }
        if type_name in _ARTICLES:
            return coerce_primitive(value, type_name, name)
        registry = self.registry
        if type_name in registry.enums:
            if not isinstance(value, str):
                raise _wrong(name, "a string")
            if value not in registry.enums[type_name].values:
                raise MarshallError(f"Invalid value for '{type_name}'")
            return value
        if type_name in registry.structs:
            return self._coerce_struct(value, type_name, name, resolve)
        if type_name in registry.classes:
            if not isinstance(value, str):
                raise _wrong(name, "a string")
            return resolve(value, type_name)
        raise UnexpectedError(f"Unknown type '{type_name}'")

    def _coerce_struct(self, value: Any, type_name: str, name: str, resolve: Resolver) -> Any:
        if not isinstance(value, dict):
            raise _wrong(name, "a object")
        actual = type_name
        module, declared = value.get("__module__"), value.get("__type__")
        if module is not None and declared is not None:
            if declared not in self.registry.structs or module != "kurento":
                raise UnexpectedError(f"Type '{module}.{declared}' not found")
            if not self.registry.struct_is_a(declared, type_name):
                raise _wrong(name, f"a {type_name}")
            actual = declared
        result: dict[str, Any] = {"__type__": actual}
        for field in self.registry.struct_fields(actual):
            if field.name in value and value[field.name] is not None:
                result[field.name] = self.coerce(value[field.name], field.type, field.name, resolve)
            elif not field.optional:
                raise MarshallError(f"'{field.name}' parameter is required")
            elif not _is_no_default(field.default):
                result[field.name] = field.default
        return result

    def bind(
        self,
        params: tuple[Param, ...],
        given: Any,
        resolve: Resolver,
        container: str,
    ) -> dict[str, Any]:
        """Bind wire params to declared params, the KMS way (reference §1.6).

        Required params must be present. Optional params bind positionally: once
        one is absent, it and every later optional param take their defaults.
        """
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise MarshallError(f"'{container}' should be a object")
        if any(not p.optional and _is_no_default(p.default) for p in params) and not given:
            raise MarshallError(f"'{container}' is required")
        bound: dict[str, Any] = {}
        optional_chain_broken = False
        for param in params:
            present = param.name in given and given[param.name] is not None
            if not param.optional:
                if not present and not _is_no_default(param.default):
                    # A required param with a default (getUsedCpu's interval) takes it.
                    bound[param.name] = param.default
                    continue
                if not present:
                    raise MarshallError(f"'{param.name}' parameter is required")
                bound[param.name] = self.coerce(given[param.name], param.type, param.name, resolve)
                continue
            if present and not optional_chain_broken:
                bound[param.name] = self.coerce(given[param.name], param.type, param.name, resolve)
            else:
                optional_chain_broken = True
                bound[param.name] = None if _is_no_default(param.default) else param.default
        return bound

    # --- output --------------------------------------------------------------------

    def to_wire(self, value: Any, type_name: str | None) -> Any:
        if value is None or type_name is None:
            return _plain(value)
        if type_name.endswith("[]"):
            return [self.to_wire(item, type_name[:-2]) for item in value]
        if type_name.endswith("<>"):
            return {str(k): self.to_wire(v, type_name[:-2]) for k, v in value.items()}
        if type_name in self.registry.structs and isinstance(value, dict):
            actual = value.get("__type__", type_name)
            out: dict[str, Any] = {"__module__": self.registry.module_label(actual),
                                   "__type__": actual}
            fields = {f.name: f for f in self.registry.struct_fields(actual)}
            for key, item in value.items():
                if key.startswith("__") or item is None:
                    continue
                field = fields.get(key)
                out[key] = self.to_wire(item, field.type if field else None)
            return out
        if type_name in self.registry.classes:
            return value if isinstance(value, str) else value.id
        return _plain(value)


def _plain(value: Any) -> Any:
    """Serialize a value whose type the description does not give."""
    if hasattr(value, "id") and isinstance(value.id, str):
        return value.id
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _is_no_default(default: Any) -> bool:
    return default is NO_DEFAULT
