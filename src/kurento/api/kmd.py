"""Our API description rendered in Kurento's KMD JSON shape, for ``ServerManager.getKmd``.

Generated from ``kurento.api.model`` objects: the text is ours (our docs), the
structure is the one clients and code generators read.
"""

from __future__ import annotations

import json
from typing import Any

from kurento.api.model import (
    NO_DEFAULT,
    EnumType,
    Event,
    Method,
    Module,
    Param,
    Property,
    RemoteClass,
    StructType,
)


def _type(type_name: str) -> dict[str, Any]:
    if type_name.endswith("[]"):
        return {"type": type_name[:-2], "isList": True}
    if type_name.endswith("<>"):
        return {"type": type_name[:-2], "isMap": True}
    return {"type": type_name}


def _param(param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param.name, "doc": param.doc, **_type(param.type)}
    if param.optional:
        out["optional"] = True
        if param.default is not NO_DEFAULT:
            out["defaultValue"] = param.default
    return out


def _property(prop: Property) -> dict[str, Any]:
    out: dict[str, Any] = {"name": prop.name, "doc": prop.doc, **_type(prop.type)}
    if prop.read_only:
        out["readOnly"] = True
    if prop.final:
        out["final"] = True
    if prop.default is not NO_DEFAULT:
        out["defaultValue"] = prop.default
    return out


def _method(method: Method) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": method.name,
        "doc": method.doc,
        "params": [_param(p) for p in method.params],
    }
    if method.returns is not None:
        out["return"] = {"doc": "", **_type(method.returns)}
    return out


def _class(klass: RemoteClass) -> dict[str, Any]:
    out: dict[str, Any] = {"name": klass.name, "doc": klass.doc}
    if klass.extends:
        out["extends"] = klass.extends
    if klass.abstract:
        out["abstract"] = True
    if klass.constructor is not None:
        out["constructor"] = {"doc": "", "params": [_param(p) for p in klass.constructor]}
    out["properties"] = [_property(p) for p in klass.properties]
    out["methods"] = [_method(m) for m in klass.methods]
    out["events"] = list(klass.events)
    return out


def _event(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"name": event.name, "doc": event.doc}
    if event.extends:
        out["extends"] = event.extends
    out["properties"] = [_param(p) for p in event.fields]
    return out


def _complex(item: EnumType | StructType) -> dict[str, Any]:
    if isinstance(item, EnumType):
        return {"name": item.name, "doc": item.doc, "typeFormat": "ENUM",
                "values": list(item.values)}
    out: dict[str, Any] = {"name": item.name, "doc": item.doc, "typeFormat": "REGISTER",
                           "properties": [_param(p) for p in item.fields]}
    if item.extends:
        out["extends"] = item.extends
    return out


def module_kmd(module: Module) -> dict[str, Any]:
    complex_types: list[EnumType | StructType] = [*module.enums, *module.structs]
    return {
        "name": module.name,
        "version": module.version,
        "kurentoVersion": module.version,
        "imports": [] if module.name == "core" else [{"name": "core", "version": module.version}],
        "remoteClasses": [_class(k) for k in module.classes],
        "complexTypes": [_complex(t) for t in complex_types],
        "events": [_event(e) for e in module.events],
    }


def module_kmd_json(module: Module) -> str:
    return json.dumps(module_kmd(module), indent=2)
