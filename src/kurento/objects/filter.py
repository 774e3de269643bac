"""Filters: GStreamerFilter (reference §2.2, §3.1) and filters written in Python.

A filter's media part decodes what it needs and encodes what it sends (see
:mod:`kurento.engine.filtering`); this side checks the constructor, maps the
engine's refusals to Kurento errors and turns its news into events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kurento.engine.filtering import (
    FilterCommandError,
    GStreamerFilterMedia,
    PropertyTypeNotSupported,
    PropertyValueError,
    PythonFilterMedia,
)
from kurento.filters import AudioFilter, MediaFilter
from kurento.filters.process import ProcessProxy
from kurento.objects.base import MediaObject
from kurento.objects.element import MediaElement
from kurento.objects.transcoding import TranscodingReports
from kurento.protocol.errors import MarshallError, NotImplementedKurento


class Filter(TranscodingReports, MediaElement):
    TYPE = "Filter"


class GStreamerFilter(Filter):
    TYPE = "GStreamerFilter"

    media: GStreamerFilterMedia

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command = str(self.params.get("command") or "")
        self.filter_type = str(self.params.get("filterType") or "AUTODETECT")

    async def start(self) -> None:
        await super().start()
        try:
            self.media.configure_command(self.command, self.filter_type)
        except FilterCommandError as error:
            await self.media.close()
            raise MarshallError(str(error)) from None

    def get_command(self) -> str:
        return self.command

    def set_element_property(self, property_name: str, property_value: str) -> None:
        try:
            self.media.set_element_property(property_name, property_value)
        except PropertyValueError as error:
            raise MarshallError(str(error)) from None
        except PropertyTypeNotSupported as error:
            raise NotImplementedKurento(str(error)) from None


class PythonFilter(Filter):
    """A video filter written in Python; one subclass per :class:`VideoFilter` class
    (``kurento.filters.examples.EXAMPLES`` and the plug-ins, see :func:`python_filter_types`)."""

    ENGINE_FACTORY = "PythonFilter"
    filter_class: type[MediaFilter]

    media: PythonFilterMedia

    async def start(self) -> None:
        engine = self.media_pipeline.engine_pipeline
        self.media = engine.create_element(self.ENGINE_FACTORY, self)  # type: ignore[assignment]
        if self.filter_class.isolation == "process":
            self.media.configure_processor(ProcessProxy.factory(self.filter_class))
        else:
            self.media.configure_processor(self.filter_class)

    def on_filter_event(self, name: str, fields: Mapping[str, Any]) -> None:
        declared = {event.name: event for event in self.filter_class.events}
        event = declared.get(name)
        if event is None or set(fields) != set(event.fields):
            # The filter's bug, not the client's: say so in the log, send nothing malformed.
            self.on_error("UNEXPECTED_ELEMENT_ERROR", 0,
                          f"{self.TYPE} raised undeclared or malformed event {name!r}")
            return
        self.emit(name, **fields)


class PythonAudioFilter(PythonFilter):
    """An audio filter written in Python; one subclass per :class:`AudioFilter` class."""

    ENGINE_FACTORY = "PythonAudioFilter"


def python_filter_types(classes: tuple[type[MediaFilter], ...]) -> dict[str, type[MediaObject]]:
    """Remote types for Python video and audio filters, by their remote class name."""
    return {cls.name: type(cls.name, (_base(cls),), {"TYPE": cls.name, "filter_class": cls})
            for cls in classes}


def _base(cls: type[MediaFilter]) -> type[PythonFilter]:
    return PythonAudioFilter if issubclass(cls, AudioFilter) else PythonFilter
