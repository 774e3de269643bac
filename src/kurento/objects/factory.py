"""Remote types this server can create, by Kurento class name."""

from __future__ import annotations

from kurento.filters.examples import EXAMPLES
from kurento.objects.base import MediaObject
from kurento.objects.filter import GStreamerFilter, python_filter_types
from kurento.objects.filter_face import FaceOverlayFilter
from kurento.objects.filter_overlay import ImageOverlayFilter
from kurento.objects.filter_zbar import ZBarFilter
from kurento.objects.http_endpoint import HttpGetEndpoint, HttpPostEndpoint
from kurento.objects.passthrough import PassThrough
from kurento.objects.pipeline import MediaPipeline
from kurento.objects.player_endpoint import PlayerEndpoint
from kurento.objects.recorder_endpoint import RecorderEndpoint
from kurento.objects.rtp_endpoint import RtpEndpoint
from kurento.objects.webrtc_endpoint import WebRtcEndpoint

FACTORIES: dict[str, type[MediaObject]] = {
    "MediaPipeline": MediaPipeline,
    "PassThrough": PassThrough,
    "RecorderEndpoint": RecorderEndpoint,
    "PlayerEndpoint": PlayerEndpoint,
    "HttpPostEndpoint": HttpPostEndpoint,
    "HttpGetEndpoint": HttpGetEndpoint,
    "RtpEndpoint": RtpEndpoint,
    "WebRtcEndpoint": WebRtcEndpoint,
    "GStreamerFilter": GStreamerFilter,
    "ImageOverlayFilter": ImageOverlayFilter,
    "ZBarFilter": ZBarFilter,
    "FaceOverlayFilter": FaceOverlayFilter,
    **python_filter_types(EXAMPLES),
}
