"""The element types the control plane can create by Kurento type name."""

from __future__ import annotations

from collections.abc import Iterable

from ..contract import MediaKind
from .element import GstElement
from .filter import GStreamerFilterElement
from .filter_face import FaceOverlayElement
from .filter_overlay import ImageOverlayElement
from .filter_python import PythonAudioFilterElement, PythonFilterElement
from .filter_zbar import ZBarElement
from .http_get import HttpGetElement
from .http_post import HttpPostElement
from .player import PlayerElement
from .recorder import RecorderElement
from .rtp import RtpElement
from .webrtc import WebRtcElement


class PassThrough(GstElement):
    """Kurento ``PassThrough``: audio, video and data go through untouched.

    ``identity`` gives the input a pad of its own; it creates no thread, so the
    bridge's thread carries the media on to the output tee. DATA buffers are
    data-channel messages (see ``webrtc_data``).
    """

    factory = "PassThrough"

    def build(self) -> None:
        for kind in (MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.DATA):
            identity = self.make("identity", f"{kind.value.lower()}_in")
            self.add_input(kind, identity.get_static_pad("sink"))
            self.add_output(kind, identity.get_static_pad("src"))

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return (kind,)


FACTORIES: dict[str, type[GstElement]] = {
    PassThrough.factory: PassThrough,
    WebRtcElement.factory: WebRtcElement,
    RecorderElement.factory: RecorderElement,
    PlayerElement.factory: PlayerElement,
    HttpPostElement.factory: HttpPostElement,
    HttpGetElement.factory: HttpGetElement,
    RtpElement.factory: RtpElement,
    GStreamerFilterElement.factory: GStreamerFilterElement,
    PythonFilterElement.factory: PythonFilterElement,
    PythonAudioFilterElement.factory: PythonAudioFilterElement,
    ImageOverlayElement.factory: ImageOverlayElement,
    ZBarElement.factory: ZBarElement,
    FaceOverlayElement.factory: FaceOverlayElement,
}
