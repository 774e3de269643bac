"""Small constructors that keep the API description tables readable."""

from __future__ import annotations

from typing import Any

from kurento.api.model import (
    NO_DEFAULT,
    EnumType,
    Event,
    Method,
    Param,
    Property,
    StructType,
)


def p(name: str, type_: str, doc: str = "") -> Param:
    """A required parameter or field."""
    return Param(name, type_, doc=doc)


def opt(name: str, type_: str, doc: str = "", default: Any = NO_DEFAULT) -> Param:
    """An optional parameter or field, with its default when it has one."""
    return Param(name, type_, optional=True, default=default, doc=doc)


def prop(
    name: str,
    type_: str,
    doc: str,
    *,
    read_only: bool = False,
    final: bool = False,
    default: Any = NO_DEFAULT,
) -> Property:
    return Property(name, type_, read_only=read_only, final=final, default=default, doc=doc)


def method(name: str, doc: str, *params: Param, returns: str | None = None) -> Method:
    return Method(name, params, returns, doc)


def event(name: str, extends: str | None, doc: str, *fields: Param) -> Event:
    return Event(name, extends, fields, doc)


def enum(name: str, doc: str, *values: str) -> EnumType:
    return EnumType(name, values, doc)


def struct(name: str, doc: str, *fields: Param, extends: str | None = None) -> StructType:
    return StructType(name, fields, extends, doc)
