"""Our API description (core.py, elements.py, filters.py) against Kurento's KMD files.

This is a test-only comparison: the KMD files live outside the project
(``../shared/reference/kmd`` next to the repo) and nothing at run time reads them.
Only facts are compared (names, types, flags, defaults, inheritance, order of
parameters, fields and enum values); the wording of our docs is deliberately ours.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kurento.api.core import CORE
from kurento.api.elements import ELEMENTS
from kurento.api.filters import FILTERS
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

REPO_ROOT = Path(__file__).resolve().parents[2]
KMD_DIR = REPO_ROOT.parent / "shared" / "reference" / "kmd"

pytestmark = pytest.mark.skipif(not KMD_DIR.is_dir(), reason=f"no KMD files at {KMD_DIR}")

OURS = {"core": CORE, "elements": ELEMENTS, "filters": FILTERS}

# --- loading the KMD -----------------------------------------------------------------


def strip_line_comments(text: str) -> str:
    """Drop ``//`` comments that are outside JSON strings."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_kmd_file(path: Path) -> dict[str, Any]:
    data = json.loads(strip_line_comments(path.read_text(encoding="utf-8")), strict=False)
    assert isinstance(data, dict)
    return data


def load_kmd_module(name: str) -> dict[str, Any]:
    """The module file plus its per-class split files, merged."""
    merged: dict[str, Any] = {"remoteClasses": [], "complexTypes": [], "events": []}
    main = load_kmd_file(KMD_DIR / f"{name}.kmd.json")
    merged["name"] = main["name"]
    merged["version"] = main["version"]
    parts = [main, *(load_kmd_file(f) for f in sorted(KMD_DIR.glob(f"{name}.*.kmd.json")))]
    for part in parts:
        for key in ("remoteClasses", "complexTypes", "events"):
            merged[key].extend(part.get(key, []))
    return merged


@pytest.fixture(scope="module")
def kmd() -> dict[str, dict[str, Any]]:
    return {name: load_kmd_module(name) for name in OURS}


# --- normalised facts, one shape for both sides ----------------------------------------

_NONE = ("<no default>",)


def _default(value: Any) -> tuple[Any, ...]:
    """A default value with its Python type, so that 1, 1.0 and True stay distinct."""
    if value is NO_DEFAULT:
        return _NONE
    return (type(value).__name__, json.dumps(value, sort_keys=True))


def _kmd_param(raw: dict[str, Any]) -> tuple[Any, ...]:
    default = _default(raw["defaultValue"]) if "defaultValue" in raw else _NONE
    return (raw["name"], raw["type"], bool(raw.get("optional", False)), default)


def _our_param(param: Param) -> tuple[Any, ...]:
    return (param.name, param.type, param.optional, _default(param.default))


def kmd_classes(module: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for raw in module["remoteClasses"]:
        ctor = raw.get("constructor")
        result[raw["name"]] = {
            "extends": raw.get("extends"),
            "abstract": bool(raw.get("abstract", False)),
            "constructor": (
                None if ctor is None else [_kmd_param(x) for x in ctor.get("params", [])]
            ),
            "properties": {
                x["name"]: {
                    "type": x["type"],
                    "readOnly": bool(x.get("readOnly", False)),
                    "final": bool(x.get("final", False)),
                    "default": _default(x["defaultValue"]) if "defaultValue" in x else _NONE,
                }
                for x in raw.get("properties", [])
            },
            "methods": {
                x["name"]: {
                    "params": [_kmd_param(y) for y in x.get("params", [])],
                    "returns": x["return"]["type"] if "return" in x else None,
                }
                for x in raw.get("methods", [])
            },
            "events": list(raw.get("events", [])),
        }
    return result


def our_classes(module: Module) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for klass in module.classes:
        result[klass.name] = {
            "extends": klass.extends,
            "abstract": klass.abstract,
            "constructor": (
                None if klass.constructor is None else [_our_param(x) for x in klass.constructor]
            ),
            "properties": {
                x.name: {
                    "type": x.type,
                    "readOnly": x.read_only,
                    "final": x.final,
                    "default": _default(x.default),
                }
                for x in klass.properties
            },
            "methods": {
                x.name: {"params": [_our_param(y) for y in x.params], "returns": x.returns}
                for x in klass.methods
            },
            "events": list(klass.events),
        }
    return result


def kmd_events(module: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        raw["name"]: {
            "extends": raw.get("extends"),
            "fields": [_kmd_param(x) for x in raw.get("properties", [])],
        }
        for raw in module["events"]
    }


def our_events(module: Module) -> dict[str, dict[str, Any]]:
    return {
        ev.name: {"extends": ev.extends, "fields": [_our_param(x) for x in ev.fields]}
        for ev in module.events
    }


def kmd_enums(module: dict[str, Any]) -> dict[str, list[str]]:
    return {
        raw["name"]: list(raw["values"])
        for raw in module["complexTypes"]
        if raw["typeFormat"] == "ENUM"
    }


def our_enums(module: Module) -> dict[str, list[str]]:
    return {enum.name: list(enum.values) for enum in module.enums}


def kmd_structs(module: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        raw["name"]: {
            "extends": raw.get("extends"),
            "fields": [_kmd_param(x) for x in raw.get("properties", [])],
        }
        for raw in module["complexTypes"]
        if raw["typeFormat"] == "REGISTER"
    }


def our_structs(module: Module) -> dict[str, dict[str, Any]]:
    return {
        st.name: {"extends": st.extends, "fields": [_our_param(x) for x in st.fields]}
        for st in module.structs
    }


def _assert_same(ours: dict[str, Any], theirs: dict[str, Any], what: str) -> None:
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    assert not missing, f"{what} in the KMD but not in our description: {missing}"
    assert not extra, f"{what} in our description but not in the KMD: {extra}"
    for name in theirs:
        assert ours[name] == theirs[name], f"{what} {name} differs from the KMD"


# --- the comparisons -----------------------------------------------------------------

MODULES = sorted(OURS)


@pytest.mark.parametrize("name", MODULES)
def test_module_name_and_version(kmd: dict[str, dict[str, Any]], name: str) -> None:
    assert OURS[name].name == kmd[name]["name"] == name
    assert OURS[name].version == kmd[name]["version"]


@pytest.mark.parametrize("name", MODULES)
def test_no_duplicate_names(name: str) -> None:
    module = OURS[name]
    for kind, names in {
        "class": [k.name for k in module.classes],
        "event": [e.name for e in module.events],
        "type": [e.name for e in module.enums] + [s.name for s in module.structs],
    }.items():
        assert len(names) == len(set(names)), f"duplicate {kind} names in {name}"
    for klass in module.classes:
        props = [x.name for x in klass.properties]
        methods = [x.name for x in klass.methods]
        assert len(props) == len(set(props)), klass.name
        assert len(methods) == len(set(methods)), klass.name


@pytest.mark.parametrize("name", MODULES)
def test_classes_match(kmd: dict[str, dict[str, Any]], name: str) -> None:
    theirs = kmd_classes(kmd[name])
    ours = our_classes(OURS[name])
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    assert not missing, f"[{name}] classes in the KMD but not in our description: {missing}"
    assert not extra, f"[{name}] classes in our description but not in the KMD: {extra}"
    # Member by member, so that a drift is reported where it happens.
    for cls, facts in theirs.items():
        for key in ("extends", "abstract", "constructor", "events"):
            assert ours[cls][key] == facts[key], f"{cls}.{key} differs from the KMD"
        _assert_same(ours[cls]["properties"], facts["properties"], f"{cls} property")
        _assert_same(ours[cls]["methods"], facts["methods"], f"{cls} method")
    _assert_same(ours, theirs, f"[{name}] class")


@pytest.mark.parametrize("name", MODULES)
def test_events_match(kmd: dict[str, dict[str, Any]], name: str) -> None:
    _assert_same(our_events(OURS[name]), kmd_events(kmd[name]), f"[{name}] event")


@pytest.mark.parametrize("name", MODULES)
def test_enums_match(kmd: dict[str, dict[str, Any]], name: str) -> None:
    _assert_same(our_enums(OURS[name]), kmd_enums(kmd[name]), f"[{name}] enum")


@pytest.mark.parametrize("name", MODULES)
def test_structs_match(kmd: dict[str, dict[str, Any]], name: str) -> None:
    _assert_same(our_structs(OURS[name]), kmd_structs(kmd[name]), f"[{name}] struct")


# Keys of the KMD that our model does not carry on purpose. If Kurento adds a new kind
# of fact, this test fails so that the model (and this comparison) can be extended.
_IGNORED_KEYS = {
    "doc",  # we write our own
    "code",  # packaging metadata (Maven, npm, C++ namespace)
    "kurentoVersion",  # compatible core version of a plug-in module
    "typeFormat",  # ENUM / REGISTER, expressed by EnumType / StructType
}
_KNOWN_KEYS = {
    "module": {"name", "version", "remoteClasses", "complexTypes", "events"},
    "class": {"name", "extends", "abstract", "constructor", "properties", "methods", "events"},
    "constructor": {"params"},
    "ctor_param": {"name", "type", "optional", "defaultValue", "final"},
    "property": {"name", "type", "readOnly", "final", "defaultValue"},
    "method": {"name", "params", "return"},
    "param": {"name", "type", "optional", "defaultValue"},
    "return": {"type"},
    "event": {"name", "extends", "properties"},
    "type": {"name", "extends", "values", "properties"},
    "field": {"name", "type", "optional", "defaultValue"},
}


def _unknown(raw: dict[str, Any], kind: str) -> set[str]:
    return set(raw) - _KNOWN_KEYS[kind] - _IGNORED_KEYS


def test_kmd_has_no_unmodelled_keys() -> None:
    found: set[str] = set()
    files = sorted(KMD_DIR.glob("*.kmd.json"))
    assert files
    for path in files:
        data = load_kmd_file(path)
        found |= {f"{path.name}: {k}" for k in _unknown(data, "module")}
        for klass in data.get("remoteClasses", []):
            found |= {f"class {k}" for k in _unknown(klass, "class")}
            ctor = klass.get("constructor")
            if ctor is not None:
                found |= {f"constructor {k}" for k in _unknown(ctor, "constructor")}
                for param in ctor.get("params", []):
                    found |= {f"ctor param {k}" for k in _unknown(param, "ctor_param")}
            for prop in klass.get("properties", []):
                found |= {f"property {k}" for k in _unknown(prop, "property")}
            for meth in klass.get("methods", []):
                found |= {f"method {k}" for k in _unknown(meth, "method")}
                if "return" in meth:
                    found |= {f"return {k}" for k in _unknown(meth["return"], "return")}
                for param in meth.get("params", []):
                    found |= {f"param {k}" for k in _unknown(param, "param")}
        for ev in data.get("events", []):
            found |= {f"event {k}" for k in _unknown(ev, "event")}
            for fld in ev.get("properties", []):
                found |= {f"event field {k}" for k in _unknown(fld, "field")}
        for typ in data.get("complexTypes", []):
            assert typ["typeFormat"] in ("ENUM", "REGISTER"), typ["name"]
            found |= {f"type {k}" for k in _unknown(typ, "type")}
            for fld in typ.get("properties", []):
                found |= {f"struct field {k}" for k in _unknown(fld, "field")}
    assert not found, f"KMD keys our model does not describe: {sorted(found)}"


# --- our docs are ours -----------------------------------------------------------------

_MARKUP = re.compile(r"<[a-zA-Z/][^>]*>|:rom:|&[a-z]+;")


def _our_docs(module: Module) -> list[tuple[str, str]]:
    docs: list[tuple[str, str]] = [(module.name, module.doc)]
    for klass in module.classes:
        docs.append((klass.name, klass.doc))
        docs += [(f"{klass.name}({x.name})", x.doc) for x in klass.constructor or ()]
        docs += [(f"{klass.name}.{x.name}", x.doc) for x in klass.properties]
        for meth in klass.methods:
            docs.append((f"{klass.name}.{meth.name}()", meth.doc))
            docs += [(f"{klass.name}.{meth.name}({x.name})", x.doc) for x in meth.params]
    for ev in module.events:
        docs.append((ev.name, ev.doc))
        docs += [(f"{ev.name}.{x.name}", x.doc) for x in ev.fields]
    for enum in module.enums:
        docs.append((enum.name, enum.doc))
    for st in module.structs:
        docs.append((st.name, st.doc))
        docs += [(f"{st.name}.{x.name}", x.doc) for x in st.fields]
    return docs


def _kmd_docs(module: dict[str, Any]) -> set[str]:
    docs: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "doc" and isinstance(value, str):
                    docs.add(_normalise(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(module)
    return docs


def _normalise(text: str) -> str:
    return " ".join(text.split()).rstrip(".").lower()


@pytest.mark.parametrize("name", MODULES)
def test_docs_are_short_plain_and_our_own(kmd: dict[str, dict[str, Any]], name: str) -> None:
    module = OURS[name]
    theirs = _kmd_docs(kmd[name])
    headline: list[Module | RemoteClass | Event | EnumType | StructType] = [
        module,
        *module.classes,
        *module.events,
        *module.enums,
        *module.structs,
    ]
    for item in headline:
        assert item.doc, f"{item.name} has no doc"
    for klass in module.classes:
        members: list[Property | Method] = [*klass.properties, *klass.methods]
        for member in members:
            assert member.doc, f"{klass.name}.{member.name} has no doc"
    for where, doc in _our_docs(module):
        assert not _MARKUP.search(doc), f"markup in the doc of {where}"
        assert len(doc) <= 200, f"doc of {where} is not short"
        # Tiny phrases ("Module version.") may coincide; longer text must be ours.
        if len(doc.split()) > 4:
            assert _normalise(doc) not in theirs, f"doc of {where} is copied from the KMD"
