"""Video filters written in Python (beyond Kurento, module ``kurentopy``).

A filter is a class with a ``process`` method over numpy frames, or a plain
function wrapped by :func:`video_filter`. The server makes it a remote class
named ``name`` that any client creates like a Kurento filter; the JS client
with ``pipeline.create("SepiaFilter")``, ours with
``await SepiaFilter.create(pipeline)``. Frames are RGB ``uint8`` arrays of
shape ``(height, width, 3)``; ``process`` may change the array in place and
return None, or return a new array of the same shape.

The server decodes the input, runs ``process`` on a worker thread of the
filter's own (never on the asyncio loop or a streaming thread; when it is
slower than the input, frames are skipped, never queued) and encodes the result
as VP8. A filter raises its own events with ``self.emit``; they must be
declared in ``events`` so that clients can subscribe to them::

    import numpy as np
    from kurento.filters import FilterEvent, VideoFilter

    class Darken(VideoFilter):
        name = "DarkenFilter"
        events = (FilterEvent("TooBright", {"level": "float"}),)

        def process(self, frame: np.ndarray, pts: int) -> None:
            if frame.mean() > 200:
                self.emit("TooBright", level=float(frame.mean()))
            frame //= 2

Built-in filters (:mod:`kurento.filters.examples`): ``SepiaFilter`` and
``MotionDetectorFilter``. A new filter becomes a remote class when it is listed
in ``kurento.filters.examples.EXAMPLES`` (the server's API description and the
generated client are derived from that list; see ``src/kurento/filters/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FilterEvent", "VideoFilter", "video_filter"]

# Kurento wire types an event field may have.
FIELD_TYPES = frozenset({"String", "boolean", "int", "int64", "float", "double"})


@dataclass(frozen=True)
class FilterEvent:
    """An event a filter may raise: its name and its fields (name → Kurento type)."""

    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""

    def __post_init__(self) -> None:
        for name, type_ in self.fields.items():
            if type_ not in FIELD_TYPES:
                raise ValueError(f"event {self.name}: field {name!r} has type {type_!r}, "
                                 f"not one of {sorted(FIELD_TYPES)}")


class VideoFilter:
    """Base of video filters. Subclasses set ``name`` and implement :meth:`process`.

    One instance is made per remote filter, on the filter's worker thread, so
    ``__init__`` may keep state between frames (e.g. the previous frame).
    """

    name: ClassVar[str] = ""
    events: ClassVar[tuple[FilterEvent, ...]] = ()
    # "thread": process() runs on a worker thread of the server (numpy releases the GIL
    # in its array loops); "process": in a child process of its own (pure-Python loops
    # cannot slow the server; see kurento.filters.process).
    isolation: ClassVar[str] = "thread"

    def __init__(self) -> None:
        self.emit: Callable[..., None] = _not_running

    def process(self, frame: np.ndarray, pts: int) -> np.ndarray | None:
        """Filter one frame (H x W x 3 RGB uint8, writable); ``pts`` is its time in ns.

        Return None to send ``frame`` (changed in place or not), or a new array of
        the same shape.
        """
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or cls.name).strip().splitlines()[0]


def video_filter(
    name: str, events: tuple[FilterEvent, ...] = ()
) -> Callable[[Callable[[np.ndarray], np.ndarray | None]], type[VideoFilter]]:
    """Make a :class:`VideoFilter` class from a function of one frame::

        @video_filter("InvertFilter")
        def invert(frame):
            "Negative image."
            return 255 - frame
    """

    def wrap(function: Callable[[np.ndarray], np.ndarray | None]) -> type[VideoFilter]:
        def process(self: VideoFilter, frame: np.ndarray, pts: int) -> np.ndarray | None:
            return function(frame)

        attributes: dict[str, Any] = {"name": name, "events": events, "process": process,
                                      "__doc__": function.__doc__ or name}
        return type(function.__name__, (VideoFilter,), attributes)

    return wrap


def _not_running(name: str, **fields: Any) -> None:
    raise RuntimeError(f"cannot emit {name}: the filter is not running in a server")
