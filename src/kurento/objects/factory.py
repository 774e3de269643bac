"""Remote types this server can create, by Kurento class name."""

from __future__ import annotations

from kurento.objects.base import MediaObject
from kurento.objects.passthrough import PassThrough
from kurento.objects.pipeline import MediaPipeline
from kurento.objects.webrtc_endpoint import WebRtcEndpoint

FACTORIES: dict[str, type[MediaObject]] = {
    "MediaPipeline": MediaPipeline,
    "PassThrough": PassThrough,
    "WebRtcEndpoint": WebRtcEndpoint,
}
