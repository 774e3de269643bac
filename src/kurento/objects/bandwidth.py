"""BaseRtpEndpoint's bitrate knobs and RembParams (reference §2.3, §2.5), to the engine.

A mixin of :class:`~kurento.objects.sdp_endpoint.BaseRtpEndpoint`: the setters
keep the property store (the getters read it, like every other property) and
hand the engine a :class:`~kurento.engine.contract.BandwidthConfig` at once, so
REMB follows a change during the session; SDP (``b=AS``) uses the values of the
negotiation. An engine without :class:`~kurento.engine.contract.BandwidthControl`
just keeps the values.
"""

from __future__ import annotations

from typing import Any

from kurento.engine.contract import BandwidthConfig, BandwidthControl

# RembParams wire field -> BandwidthConfig field
_REMB_FIELDS = {
    "packetsRecvIntervalTop": "packets_recv_interval_top",
    "exponentialFactor": "exponential_factor",
    "linealFactorMin": "lineal_factor_min",
    "linealFactorGrade": "lineal_factor_grade",
    "decrementFactor": "decrement_factor",
    "thresholdFactor": "threshold_factor",
    "upLosses": "up_losses",
    "rembOnConnect": "remb_on_connect",
}
_KNOBS = {
    "maxVideoRecvBandwidth": "max_video_recv",
    "minVideoRecvBandwidth": "min_video_recv",
    "maxAudioRecvBandwidth": "max_audio_recv",
    "maxVideoSendBandwidth": "max_video_send",
    "minVideoSendBandwidth": "min_video_send",
}


def bandwidth_config(props: dict[str, Any]) -> BandwidthConfig:
    """The engine's view of an endpoint's property store (missing values: defaults)."""
    defaults = BandwidthConfig()
    values: dict[str, Any] = {}
    for wire, name in _KNOBS.items():
        value = props.get(wire)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = max(0, int(value))
    remb = props.get("rembParams")
    if isinstance(remb, dict):
        for wire, name in _REMB_FIELDS.items():
            value = remb.get(wire)
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = type(getattr(defaults, name))(value)
    return BandwidthConfig(**values)


class BandwidthMixin:
    """setMax/MinVideoRecvBandwidth, setMaxAudioRecvBandwidth, setMax/MinVideoSendBandwidth,
    setRembParams."""

    props: dict[str, Any]
    media: Any

    def push_bandwidth(self) -> None:
        """Hand the current knobs to the engine (before negotiation, and on each change)."""
        media = getattr(self, "media", None)
        if isinstance(media, BandwidthControl):
            media.set_bandwidth(bandwidth_config(self.props))

    def _set_knob(self, name: str, value: Any) -> None:
        self.props[name] = value
        self.push_bandwidth()

    def set_max_video_recv_bandwidth(self, max_video_recv_bandwidth: int) -> None:
        self._set_knob("maxVideoRecvBandwidth", max_video_recv_bandwidth)

    def set_min_video_recv_bandwidth(self, min_video_recv_bandwidth: int) -> None:
        self._set_knob("minVideoRecvBandwidth", min_video_recv_bandwidth)

    def set_max_audio_recv_bandwidth(self, max_audio_recv_bandwidth: int) -> None:
        self._set_knob("maxAudioRecvBandwidth", max_audio_recv_bandwidth)

    def set_max_video_send_bandwidth(self, max_video_send_bandwidth: int) -> None:
        self._set_knob("maxVideoSendBandwidth", max_video_send_bandwidth)

    def set_min_video_send_bandwidth(self, min_video_send_bandwidth: int) -> None:
        self._set_knob("minVideoSendBandwidth", min_video_send_bandwidth)

    def set_remb_params(self, remb_params: Any) -> None:
        self._set_knob("rembParams", remb_params)
