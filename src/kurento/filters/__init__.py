"""Video and audio filters written in Python (beyond Kurento, module ``kurentopy``).

A filter is a class with a ``process`` method over numpy arrays, or a plain
function wrapped by :func:`video_filter` / :func:`audio_filter`. The server makes
it a remote class named ``name`` that any client creates like a Kurento filter;
the JS client with ``pipeline.create("SepiaFilter")``, ours with
``await SepiaFilter.create(pipeline)``.

* :class:`VideoFilter`: frames are RGB ``uint8`` arrays of shape
  ``(height, width, 3)``; the result is encoded as VP8.
* :class:`AudioFilter`: blocks of interleaved PCM, ``int16`` arrays of shape
  ``(samples, 2)`` (stereo, 48 kHz, as they come, usually 20 ms); the result is
  encoded as Opus.

``process`` may change the array in place and return None, or return a new
array of the same shape. It runs on a worker thread of the filter's own (never
on the asyncio loop or a streaming thread; when it is slower than the input,
media is skipped, never queued). A filter raises its own events with
``self.emit``; they must be declared in ``events`` so that clients can subscribe
to them::

    import numpy as np
    from kurento.filters import FilterEvent, VideoFilter

    class Darken(VideoFilter):
        name = "DarkenFilter"
        events = (FilterEvent("TooBright", {"level": "float"}),)

        def process(self, frame: np.ndarray, pts: int) -> None:
            if frame.mean() > 200:
                self.emit("TooBright", level=float(frame.mean()))
            frame //= 2

Which filters are remote classes: the built-in ones
(:mod:`kurento.filters.examples`: ``SepiaFilter``, ``MotionDetectorFilter``,
``AudioLevelFilter``), and plug-ins (:mod:`kurento.filters.plugins`) found at
start-up, without editing this package:

* installed packages that declare an entry point in group ``kurento_py.filters``
  (``pyproject.toml``)::

      [project.entry-points."kurento_py.filters"]
      darken = "my_filters:Darken"      # one class; "my_filters" alone: all its filters

* the server setting ``filter_plugins`` (config file ``filter_plugins = "..."``,
  or ``KURENTO_FILTER_PLUGINS``): comma-separated ``module`` or
  ``module:Class`` items, importable from the server's ``sys.path``.

A bad plug-in (it does not import, is not a filter, takes a name already used,
declares an event field of no Kurento type) stops the server from starting, with
a :class:`~kurento.filters.plugins.FilterPluginError` that says which and why.
See ``src/kurento/filters/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    import numpy as np

__all__ = ["AudioFilter", "FilterEvent", "MediaFilter", "VideoFilter", "audio_filter",
           "video_filter"]

# Kurento wire types an event field may have.
FIELD_TYPES = frozenset({"String", "boolean", "int", "int64", "float", "double"})
ISOLATIONS = frozenset({"thread", "process"})


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


class MediaFilter:
    """What video and audio filters share: a remote class name, events, isolation.

    One instance is made per remote filter, on the filter's worker thread, so
    ``__init__`` may keep state between calls of ``process``.
    """

    name: ClassVar[str] = ""
    events: ClassVar[tuple[FilterEvent, ...]] = ()
    # "thread": process() runs on a worker thread of the server (numpy releases the GIL
    # in its array loops); "process": in a child process of its own (pure-Python loops
    # cannot slow the server; see kurento.filters.process).
    isolation: ClassVar[str] = "thread"
    # The media kind filtered ("VIDEO" or "AUDIO"); the others pass through untouched.
    kind: ClassVar[str] = ""

    def __init__(self) -> None:
        self.emit: Callable[..., None] = _not_running

    def process(self, data: np.ndarray, pts: int) -> np.ndarray | None:
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or cls.name).strip().splitlines()[0]


class VideoFilter(MediaFilter):
    """Base of video filters. Subclasses set ``name`` and implement :meth:`process`."""

    kind = "VIDEO"

    def process(self, frame: np.ndarray, pts: int) -> np.ndarray | None:
        """Filter one frame (H x W x 3 RGB uint8, writable); ``pts`` is its time in ns.

        Return None to send ``frame`` (changed in place or not), or a new array of
        the same shape.
        """
        raise NotImplementedError


class AudioFilter(MediaFilter):
    """Base of audio filters. Subclasses set ``name`` and implement :meth:`process`.

    Audio reaches ``process`` as interleaved signed 16-bit PCM at :attr:`RATE` Hz
    with :attr:`CHANNELS` channels, whatever the input was (it is decoded,
    converted and resampled first).
    """

    kind = "AUDIO"
    RATE: ClassVar[int] = 48000
    CHANNELS: ClassVar[int] = 2

    def process(self, samples: np.ndarray, pts: int) -> np.ndarray | None:
        """Filter one block of samples (``(n, CHANNELS)`` int16, writable); ``pts`` is
        the time of its first sample in ns.

        Return None to send ``samples`` (changed in place or not), or a new array of
        the same shape (other dtypes are clipped to the int16 range).
        """
        raise NotImplementedError


def video_filter(
    name: str, events: tuple[FilterEvent, ...] = ()
) -> Callable[[Callable[[np.ndarray], np.ndarray | None]], type[VideoFilter]]:
    """Make a :class:`VideoFilter` class from a function of one frame::

        @video_filter("InvertFilter")
        def invert(frame):
            "Negative image."
            return 255 - frame
    """
    return _function_filter(VideoFilter, name, events)


def audio_filter(
    name: str, events: tuple[FilterEvent, ...] = ()
) -> Callable[[Callable[[np.ndarray], np.ndarray | None]], type[AudioFilter]]:
    """Make an :class:`AudioFilter` class from a function of one block of samples::

        @audio_filter("HalfVolumeFilter")
        def half(samples):
            "Half the volume."
            samples //= 2
    """
    return _function_filter(AudioFilter, name, events)


F = TypeVar("F", bound=MediaFilter)


def _function_filter(
    base: type[F], name: str, events: tuple[FilterEvent, ...]
) -> Callable[[Callable[[np.ndarray], np.ndarray | None]], type[F]]:
    def wrap(function: Callable[[np.ndarray], np.ndarray | None]) -> type[F]:
        def process(self: MediaFilter, data: np.ndarray, pts: int) -> np.ndarray | None:
            return function(data)

        attributes: dict[str, Any] = {"name": name, "events": events, "process": process,
                                      "__doc__": function.__doc__ or name,
                                      "__module__": function.__module__,
                                      "__qualname__": function.__qualname__}
        return type(function.__name__, (base,), attributes)

    return wrap


def _not_running(name: str, **fields: Any) -> None:
    raise RuntimeError(f"cannot emit {name}: the filter is not running in a server")
