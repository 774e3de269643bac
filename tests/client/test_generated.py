"""The generated proxies follow the API description, and stay in sync with it."""

from __future__ import annotations

import dataclasses
import enum
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kurento.api.naming import snake_case
from kurento.api.registry import default_registry
from kurento.client import generated as g
from kurento.client.proxy import RemoteObject
from kurento.client.values import Event, Struct

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = default_registry()


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_client", ROOT / "scripts" / "gen_client.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_file_is_up_to_date() -> None:
    generator = load_generator()
    current = (ROOT / "src" / "kurento" / "client" / "generated.py").read_text(encoding="utf-8")
    assert current == generator.render(), "run: python scripts/gen_client.py"


@pytest.mark.parametrize("name", sorted(REGISTRY.classes))
def test_one_proxy_class_per_remote_class_with_kmd_inheritance(name: str) -> None:
    klass = getattr(g, name)
    assert issubclass(klass, RemoteObject) and name == klass.WIRE_TYPE
    parent = REGISTRY.classes[name].extends
    assert klass.__bases__ == ((getattr(g, parent),) if parent else (RemoteObject,))
    assert frozenset(REGISTRY.subscribable_events(name)) == klass.EVENTS


@pytest.mark.parametrize("name", sorted(REGISTRY.classes))
def test_every_operation_is_a_snake_case_coroutine(name: str) -> None:
    klass = getattr(g, name)
    for operation in REGISTRY.operations(name).values():
        method = getattr(klass, snake_case(operation.name))
        assert inspect.iscoroutinefunction(method), operation.name
        wanted = [snake_case(p.name) for p in operation.params]
        assert list(inspect.signature(method).parameters)[1:] == wanted
    setters = {n for n in dir(klass) if n.startswith("set_")}
    writable = {snake_case(p.setter) for p in REGISTRY.properties(name).values() if p.writable}
    declared = {snake_case(op.name) for op in REGISTRY.operations(name).values()}
    assert setters == {s for s in declared if s.startswith("set_")}
    assert writable <= setters


def test_creatable_classes_have_a_typed_create() -> None:
    for name, remote in REGISTRY.classes.items():
        klass = getattr(g, name)
        creatable = remote.constructor is not None and not remote.abstract
        assert (klass.CONSTRUCTOR is not None) == creatable, name
        if creatable:
            parameters = list(inspect.signature(klass.create).parameters)
            expected = [snake_case(p.name) for p in remote.constructor or ()] or ["client"]
            assert parameters == expected


@pytest.mark.parametrize("name", sorted(REGISTRY.enums))
def test_enums_carry_the_exact_wire_strings(name: str) -> None:
    klass = getattr(g, name)
    assert issubclass(klass, enum.Enum)
    assert [member.value for member in klass] == list(REGISTRY.enums[name].values)


@pytest.mark.parametrize("name", sorted(REGISTRY.structs))
def test_structs_are_frozen_dataclasses_with_flattened_fields(name: str) -> None:
    klass = getattr(g, name)
    assert issubclass(klass, Struct) and dataclasses.is_dataclass(klass)
    assert klass.__dataclass_params__.frozen
    fields = REGISTRY.struct_fields(name)
    assert [f.wire for f in klass.FIELDS] == [f.name for f in fields]
    assert [f.name for f in dataclasses.fields(klass)] == [snake_case(f.name) for f in fields]


@pytest.mark.parametrize("name", sorted(REGISTRY.events))
def test_one_event_class_per_event(name: str) -> None:
    klass = getattr(g, name)
    assert issubclass(klass, Event) and name == klass.EVENT_TYPE
    assert klass.__dataclass_params__.frozen
    names = [f.name for f in dataclasses.fields(klass)]
    assert names[:3] == ["source", "timestamp_millis", "tags"]
    assert names == [snake_case(f.name) for f in REGISTRY.event_fields(name)]


def test_the_type_table_lists_everything() -> None:
    assert set(g.TYPES.classes) == set(REGISTRY.classes)
    assert set(g.TYPES.structs) == set(REGISTRY.structs)
    assert set(g.TYPES.enums) == set(REGISTRY.enums)
    assert set(g.TYPES.events) == set(REGISTRY.events)


def test_importing_the_client_imports_neither_gstreamer_nor_the_server() -> None:
    code = (
        "import sys, kurento.client\n"
        "bad = [m for m in sys.modules if m == 'gi' or m.startswith(('gi.', 'kurento.server',"
        " 'kurento.engine', 'kurento.objects', 'kurento.api'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
