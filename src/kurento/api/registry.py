"""Look-ups over our API description: hierarchy, operations, events, types.

Both the server's dispatch and the client's proxies ask this one index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kurento.api.model import (
    EnumType,
    Event,
    Method,
    Module,
    Param,
    Property,
    RemoteClass,
    StructType,
)

if TYPE_CHECKING:
    from kurento.filters import MediaFilter

PRIMITIVES = frozenset({"String", "boolean", "int", "int64", "float", "double"})


@dataclass(frozen=True)
class Operation:
    """Something ``invoke`` can call: a method, or a property's getter or setter."""

    name: str
    params: tuple[Param, ...]
    returns: str | None
    declared_by: str
    property: Property | None = None
    is_setter: bool = False


class ApiRegistry:
    """Index of the remote classes, events and types of several modules."""

    def __init__(self, modules: tuple[Module, ...]) -> None:
        self.modules = modules
        self.classes: dict[str, RemoteClass] = {}
        self.events: dict[str, Event] = {}
        self.enums: dict[str, EnumType] = {}
        self.structs: dict[str, StructType] = {}
        self.module_of: dict[str, Module] = {}
        for module in modules:
            for klass in module.classes:
                self.classes[klass.name] = klass
                self.module_of[klass.name] = module
            for event in module.events:
                self.events[event.name] = event
                self.module_of[event.name] = module
            for enum in module.enums:
                self.enums[enum.name] = enum
                self.module_of[enum.name] = module
            for struct in module.structs:
                self.structs[struct.name] = struct
                self.module_of[struct.name] = module
        self._operations: dict[str, dict[str, Operation]] = {}

    # --- classes -------------------------------------------------------------------

    def module_label(self, name: str) -> str:
        module = self.module_of.get(name)
        return module.wire_label if module else "kurento"

    def qualified(self, name: str) -> str:
        return f"{self.module_label(name)}.{name}"

    def ancestors(self, class_name: str) -> list[str]:
        """Ancestors from the direct parent up to MediaObject (``describe.hierarchy``)."""
        result: list[str] = []
        parent = self.classes[class_name].extends
        while parent is not None:
            result.append(parent)
            parent = self.classes[parent].extends
        return result

    def is_a(self, class_name: str, ancestor: str) -> bool:
        return class_name == ancestor or ancestor in self.ancestors(class_name)

    def lineage(self, class_name: str) -> list[RemoteClass]:
        """The class itself, then its ancestors."""
        return [self.classes[name] for name in [class_name, *self.ancestors(class_name)]]

    def constructor(self, class_name: str) -> tuple[Param, ...] | None:
        return self.classes[class_name].constructor

    def operations(self, class_name: str) -> dict[str, Operation]:
        """All invoke operations of a class, inherited ones included."""
        if class_name not in self._operations:
            self._operations[class_name] = self._collect_operations(class_name)
        return self._operations[class_name]

    def _collect_operations(self, class_name: str) -> dict[str, Operation]:
        operations: dict[str, Operation] = {}
        # Walk from the root down so that subclasses override.
        for klass in reversed(self.lineage(class_name)):
            for prop in klass.properties:
                operations[prop.getter] = Operation(
                    prop.getter, (), prop.type, klass.name, property=prop
                )
                if prop.writable:
                    operations[prop.setter] = Operation(
                        prop.setter,
                        (Param(prop.name, prop.type),),
                        None,
                        klass.name,
                        property=prop,
                        is_setter=True,
                    )
            for method in klass.methods:
                operations[method.name] = _method_operation(method, klass.name)
        return operations

    def properties(self, class_name: str) -> dict[str, Property]:
        result: dict[str, Property] = {}
        for klass in reversed(self.lineage(class_name)):
            for prop in klass.properties:
                result[prop.name] = prop
        return result

    def subscribable_events(self, class_name: str) -> set[str]:
        return {event for klass in self.lineage(class_name) for event in klass.events}

    # --- events and types ----------------------------------------------------------

    def event_fields(self, event_name: str) -> list[Param]:
        """Fields of an event, inherited first (RaiseBase, Media, then its own)."""
        chain: list[Event] = []
        event: Event | None = self.events[event_name]
        while event is not None:
            chain.append(event)
            event = self.events[event.extends] if event.extends else None
        return [field for ev in reversed(chain) for field in ev.fields]

    def event_is_media(self, event_name: str) -> bool:
        event: Event | None = self.events.get(event_name)
        while event is not None:
            if event.name == "Media":
                return True
            event = self.events.get(event.extends) if event.extends else None
        return False

    def struct_fields(self, struct_name: str) -> list[Param]:
        """Fields of a struct, inherited ones first (flattened as on the wire)."""
        chain: list[StructType] = []
        struct: StructType | None = self.structs[struct_name]
        while struct is not None:
            chain.append(struct)
            struct = self.structs[struct.extends] if struct.extends else None
        return [field for st in reversed(chain) for field in st.fields]

    def struct_is_a(self, struct_name: str, ancestor: str) -> bool:
        struct: StructType | None = self.structs.get(struct_name)
        while struct is not None:
            if struct.name == ancestor:
                return True
            struct = self.structs.get(struct.extends) if struct.extends else None
        return False

    def factories(self, module_name: str) -> list[str]:
        for module in self.modules:
            if module.name == module_name:
                return sorted(k.name for k in module.classes if k.constructor is not None
                              and not k.abstract)
        return []


def _method_operation(method: Method, declared_by: str) -> Operation:
    return Operation(method.name, method.params, method.returns, declared_by)


def default_registry(filter_plugins: tuple[type[MediaFilter], ...] = ()) -> ApiRegistry:
    """Kurento 7.3's three modules (core, elements, filters), then our extensions, with
    the remote classes of ``filter_plugins`` (from ``kurento.filters.plugins``) in them.

    One registry per set of plug-ins, made once."""
    return _registry(filter_plugins)


@cache
def _registry(filter_plugins: tuple[type[MediaFilter], ...]) -> ApiRegistry:
    from kurento.api.core import CORE
    from kurento.api.elements import ELEMENTS
    from kurento.api.extensions import extensions_module
    from kurento.api.filters import FILTERS

    return ApiRegistry((CORE, ELEMENTS, FILTERS, extensions_module(filter_plugins)))
