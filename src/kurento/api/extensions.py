"""Our own remote classes, beyond Kurento 7.3 (module ``kurentopy``).

Kept apart from ``core``/``elements``/``filters`` so that those stay exactly
Kurento's interface (a test compares them with the KMD files) while clients
still learn these classes from ``describe``, ``getKmd("kurentopy")`` and the
generated proxies.

* ``HttpGetEndpoint``: Kurento once had one and dropped it; ours serves the
  pipeline's media as live WebM (VP8 + Opus) to any number of HTTP clients, at
  the URL ``getUrl`` gives (a browser plays it in a ``<video>`` element).
"""

from __future__ import annotations

from kurento.api.build import opt, p
from kurento.api.model import Module, RemoteClass

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

EXTENSIONS = Module(
    "kurentopy",
    "7.3.0",
    classes=(HTTP_GET_ENDPOINT,),
    doc="Remote classes of kurento-py that Kurento 7.3 does not have.",
)
