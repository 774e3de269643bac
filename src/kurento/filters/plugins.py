"""Filter plug-ins: users' filter classes become remote classes without editing this package.

Read once when the server starts (``kurento.server.app``), from two sources:

* entry points in group ``kurento_py.filters`` of the installed distributions
  (``importlib.metadata``); each value is ``"module:Class"`` (one class) or
  ``"module"`` (the module's filters, see below);
* the setting ``filter_plugins`` (``kurento.server.settings``): the same kind of
  items, separated by commas, importable from the server's ``sys.path``.

A module item gives the classes listed in its ``FILTERS`` attribute when it has
one, else every :class:`~kurento.filters.VideoFilter` or
:class:`~kurento.filters.AudioFilter` subclass defined in it with a ``name``.
The same class found twice (entry point and setting) counts once.

Everything is checked before the server serves anything, and any fault stops
the start with a :class:`FilterPluginError` naming the plug-in and the fault:
the module does not import, the object is not a filter class, the class name is
not a Kurento identifier or is already taken (by a Kurento or kurento-py class,
a type, an event, or another plug-in), an event is not a :class:`FilterEvent`,
has a field of no Kurento type, or has the name of an existing event with other
fields (a plug-in may raise an existing event declared alike, e.g. a subclass of
a shipped filter). A server never runs with half of its plug-ins.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
import re
import types
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from kurento.filters import (
    FIELD_TYPES,
    ISOLATIONS,
    AudioFilter,
    FilterEvent,
    MediaFilter,
    VideoFilter,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kurento_py.filters"
SETTING = "filter_plugins"
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_BASES = (MediaFilter, VideoFilter, AudioFilter)


class FilterPluginError(Exception):
    """A filter plug-in cannot be loaded: the server refuses to start. The message says
    which plug-in (setting item or entry point) and why."""


def load_filter_plugins(
    setting: str = "",
    *,
    entry_points: bool = True,
    taken: Collection[str] | None = None,
    events: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[type[MediaFilter], ...]:
    """The plug-in filter classes: the ``setting``'s items, then the entry points.

    ``taken``: class and type names plug-ins may not use; ``events``: the events
    that exist already (name → fields), which a plug-in may raise too if it
    declares them alike (e.g. a subclass of a shipped filter). Both default to
    the server's built-in API description. Raises :class:`FilterPluginError`.
    """
    if taken is None or events is None:
        builtin_taken, builtin_events = _builtin_names()
        taken = builtin_taken if taken is None else taken
        events = builtin_events if events is None else events
    found: dict[type[MediaFilter], str] = {}
    for where, load in _sources(setting, entry_points):
        for cls in _filters_of(_load(where, load), where):
            _check(cls, where)
            found.setdefault(cls, where)
    _check_names(found, taken, events)
    for cls, where in found.items():
        log.info("filter plug-in %s: remote class %s (%s)", where, cls.name, cls.kind.lower())
    return tuple(found)


def parse_setting(setting: str) -> list[str]:
    """The items of ``filter_plugins``: commas (or new lines) between them."""
    return [item.strip() for item in setting.replace("\n", ",").split(",") if item.strip()]


def _sources(setting: str, entry_points: bool) -> Iterator[tuple[str, Callable[[], Any]]]:
    for item in parse_setting(setting):
        yield f"{SETTING} item {item!r}", functools.partial(_import, item)
    if entry_points:
        for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = point.dist.name if point.dist is not None else "?"
            yield (f"entry point {point.name} = {point.value!r} (group {ENTRY_POINT_GROUP}, "
                   f"distribution {dist})"), point.load


def _import(item: str) -> Any:
    module_name, _, attribute = item.partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        target = getattr(target, part)
    return target


def _load(where: str, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except Exception as error:  # ImportError, AttributeError, and the plug-in's own faults
        raise FilterPluginError(f"filter plug-in {where}: cannot be loaded: "
                                f"{type(error).__name__}: {error}") from error


def _filters_of(target: Any, where: str) -> list[type[MediaFilter]]:
    if isinstance(target, types.ModuleType):
        listed = getattr(target, "FILTERS", None)
        if listed is not None:
            if not isinstance(listed, tuple | list):
                raise FilterPluginError(f"filter plug-in {where}: {target.__name__}.FILTERS is "
                                        "not a tuple of filter classes")
            return list(listed)
        classes = [value for value in vars(target).values()
                   if isinstance(value, type) and issubclass(value, MediaFilter)
                   and value.__module__ == target.__name__ and value.name]
        if not classes:
            raise FilterPluginError(f"filter plug-in {where}: module {target.__name__} defines "
                                    "no VideoFilter or AudioFilter subclass with a name")
        return classes
    return [target]


def _check(cls: Any, where: str) -> None:
    def fail(reason: str) -> FilterPluginError:
        return FilterPluginError(f"filter plug-in {where}: {reason}")

    if not (isinstance(cls, type) and issubclass(cls, VideoFilter | AudioFilter)) \
            or cls in _BASES:
        raise fail(f"{cls!r} is not a subclass of kurento.filters.VideoFilter or AudioFilter")
    label = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(cls.name, str) or not _IDENTIFIER.match(cls.name):
        raise fail(f"{label}.name {cls.name!r} is not a remote class name "
                   "(a letter, then letters and digits)")
    if cls.process in (VideoFilter.process, AudioFilter.process):
        raise fail(f"{label} does not implement process()")
    if cls.isolation not in ISOLATIONS:
        raise fail(f"{label}.isolation {cls.isolation!r} is not one of {sorted(ISOLATIONS)}")
    if cls.isolation == "process" and "<locals>" in cls.__qualname__:
        raise fail(f"{label} runs in a process of its own but is not defined at module level")
    if not isinstance(cls.events, tuple):
        raise fail(f"{label}.events is not a tuple of FilterEvent")
    seen: set[str] = set()
    for event in cls.events:
        if not isinstance(event, FilterEvent):
            raise fail(f"{label}.events holds {event!r}, not a FilterEvent")
        if not _IDENTIFIER.match(event.name) or event.name in seen:
            raise fail(f"{label}: event name {event.name!r} is not an identifier or is repeated")
        seen.add(event.name)
        for name, type_ in event.fields.items():
            if type_ not in FIELD_TYPES:
                raise fail(f"{label}: event {event.name} field {name!r} has type {type_!r}, "
                           f"not one of {sorted(FIELD_TYPES)}")
            if not name.isidentifier():
                raise fail(f"{label}: event {event.name} field {name!r} is not an identifier")


def _check_names(found: dict[type[MediaFilter], str], taken: Collection[str],
                 known: Mapping[str, Mapping[str, str]]) -> None:
    classes: dict[str, str] = {}
    events: dict[str, tuple[FilterEvent, str]] = {}
    for cls, where in found.items():
        if cls.name in taken or cls.name in known:
            raise FilterPluginError(f"filter plug-in {where}: the name {cls.name!r} is "
                                    "already a remote class, type or event of the server")
        if cls.name in classes:
            raise FilterPluginError(f"filter plug-in {where}: the name {cls.name!r} is "
                                    f"already taken by filter plug-in {classes[cls.name]}")
        classes[cls.name] = where
        for event in cls.events:
            if event.name in taken:
                raise FilterPluginError(
                    f"filter plug-in {where}: event {event.name!r} is already a remote "
                    "class or type of the server")
            if event.name in known and dict(known[event.name]) != dict(event.fields):
                raise FilterPluginError(
                    f"filter plug-in {where}: event {event.name!r} is already an event of "
                    f"the server, with fields {dict(known[event.name])}")
            previous = events.setdefault(event.name, (event, where))
            # Two plug-in filters may share an event, if they declare it alike.
            if dict(previous[0].fields) != dict(event.fields):
                raise FilterPluginError(
                    f"filter plug-in {where}: event {event.name!r} is declared with other "
                    f"fields by filter plug-in {previous[1]}")
    clash = set(classes) & set(events)
    if clash:
        raise FilterPluginError(f"filter plug-ins: {sorted(clash)} named both a class and "
                                "an event")


def _builtin_names() -> tuple[set[str], dict[str, dict[str, str]]]:
    """Class and type names of the built-in API description, and the events a filter
    could raise too (those of ``Media``: their own fields)."""
    from kurento.api.registry import default_registry

    registry = default_registry()
    events: dict[str, dict[str, str]] = {}
    for name, event in registry.events.items():
        # Others (e.g. Error, of RaiseBase) get a field set no FilterEvent can match.
        fields = {f.name: f.type for f in event.fields} if event.extends == "Media" else {
            "": "not a Media event"}
        events[name] = fields
    return {*registry.classes, *registry.enums, *registry.structs}, events
