"""Our own remote classes, beyond Kurento 7.3 (module ``kurentopy``).

Kept apart from ``core``/``elements``/``filters`` so that those stay exactly
Kurento's interface (a test compares them with the KMD files) while clients
still learn these classes from ``describe``, ``getKmd("kurentopy")`` and the
generated proxies.

* ``HttpGetEndpoint``: Kurento once had one and dropped it; ours serves the
  pipeline's media as live WebM (VP8 + Opus) to any number of HTTP clients, at
  the URL ``getUrl`` gives (a browser plays it in a ``<video>`` element).
* The video and audio filters written in Python (``kurento.filters``): one
  remote class per filter of ``kurento.filters.examples.EXAMPLES``
  (``SepiaFilter``, ``MotionDetectorFilter``, ``AudioLevelFilter``) and, in a
  server, per filter plug-in (``kurento.filters.plugins``, see
  :func:`extensions_module`), each a ``Filter`` with a ``mediaPipeline``
  constructor and the events it declares; described from the filter classes
  themselves, so the description cannot drift from the code.
"""

from __future__ import annotations

from kurento.api.build import opt, p
from kurento.api.model import Event, Module, RemoteClass
from kurento.filters import AudioFilter, MediaFilter
from kurento.filters.examples import EXAMPLES

HTTP_GET_ENDPOINT = RemoteClass(
    "HttpGetEndpoint",
    extends="HttpEndpoint",
    constructor=(
        p("mediaPipeline", "MediaPipeline", "Pipeline that will own the endpoint."),
        opt(
            "mediaProfile",
            "MediaProfileSpecType",
            "WEBM (audio and video), WEBM_VIDEO_ONLY or WEBM_AUDIO_ONLY: the kinds the "
            "stream carries. The stream starts once every one of them arrives.",
            "WEBM",
        ),
    ),
    doc="Extension (not in Kurento): serves the media it receives as a live WebM stream "
    "(VP8 and Opus) to HTTP GET clients; each client starts at a keyframe.",
)


def python_filter_class(filter_class: type[MediaFilter]) -> RemoteClass:
    """The remote class of a Python video or audio filter."""
    kind = "an audio" if issubclass(filter_class, AudioFilter) else "a video"
    return RemoteClass(
        filter_class.name,
        extends="Filter",
        constructor=(p("mediaPipeline", "MediaPipeline", "Pipeline that will own the filter."),),
        events=tuple(event.name for event in filter_class.events),
        doc=f"Extension (not in Kurento), {kind} filter written in Python: "
        f"{filter_class.description()}",
    )


def python_filter_events(filter_class: type[MediaFilter]) -> tuple[Event, ...]:
    return tuple(
        Event(event.name, "Media",
              tuple(p(name, type_, "") for name, type_ in event.fields.items()),
              event.doc or f"Raised by {filter_class.name}.")
        for event in filter_class.events
    )


def extensions_module(plugins: tuple[type[MediaFilter], ...] = ()) -> Module:
    """Module ``kurentopy``: HttpGetEndpoint, the shipped filters, then ``plugins``
    (already checked by ``kurento.filters.plugins``: no name is taken twice)."""
    filters = (*EXAMPLES, *plugins)
    events: dict[str, Event] = {}
    for filter_class in filters:
        for event in python_filter_events(filter_class):
            events.setdefault(event.name, event)  # plug-ins may share an event
    return Module(
        "kurentopy",
        "7.3.0",
        classes=(HTTP_GET_ENDPOINT, *(python_filter_class(f) for f in filters)),
        events=tuple(events.values()),
        doc="Remote classes of kurento-py that Kurento 7.3 does not have.",
    )


EXTENSIONS = extensions_module()
