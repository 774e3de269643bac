"""WebRtcEndpoint: trickle ICE, DTLS and WebRTC stats (reference §2.2, §2.3, §2.5, §2.6).

The engine part is a :class:`~kurento.engine.contract.WebRtcMedia`; this object is
its :class:`~kurento.engine.contract.WebRtcListener` and turns its news into the
Kurento events, with the field types of reference §2.6.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from kurento.engine.contract import WebRtcConfig, WebRtcMedia
from kurento.objects.ice_candidates import with_external_address
from kurento.objects.network_interfaces import interface_addresses
from kurento.objects.sdp_endpoint import BaseRtpEndpoint
from kurento.objects.transcoding import TranscodingReports
from kurento.objects.webrtc_data import DataChannelsMixin
from kurento.protocol import errors as e

# Where ICE gathers unless configured (server setting ``extra.webrtc_ice_addresses``):
# loopback only, so a server never reaches out by default (notes §2).
DEFAULT_ICE_ADDRESSES = ("127.0.0.1",)

log = logging.getLogger(__name__)


class WebRtcEndpoint(TranscodingReports, DataChannelsMixin, BaseRtpEndpoint):
    TYPE = "WebRtcEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recvonly = bool(self.params.get("recvonly", False))
        self.sendonly = bool(self.params.get("sendonly", False))
        self.use_data_channels = bool(self.params.get("useDataChannels", False))
        self.certificate_key_type = str(self.params.get("certificateKeyType") or "RSA")
        self.qos_dscp = str(self.params.get("qosDscp") or "NO_VALUE")
        # KMS defaults (WebRtcEndpoint.conf.ini): no STUN/TURN, all interfaces, TCP on.
        self.props.update(stunServerAddress="", stunServerPort=0, turnUrl="",
                          externalIPv4="", externalIPv6="", networkInterfaces="",
                          iceTcp=True)
        self.ice_states: dict[tuple[int, int], str] = {}
        self.dtls_states: dict[tuple[str, str, str], str] = {}
        self.candidate_pairs: list[dict[str, Any]] = []

    @property
    def webrtc_media(self) -> WebRtcMedia:
        media = self.media
        if not isinstance(media, WebRtcMedia):
            raise e.NotImplementedKurento(f"{self.TYPE} has no WebRTC media engine here")
        return media

    def before_negotiation(self) -> None:
        extra = self.context.settings.extra
        configured = extra.get("webrtc_ice_addresses", DEFAULT_ICE_ADDRESSES)
        if isinstance(configured, str):  # "10.0.0.5, 127.0.0.1" from an environment variable
            configured = [part.strip() for part in configured.split(",") if part.strip()]
        addresses = tuple(str(address) for address in configured)
        interfaces = str(self.props.get("networkInterfaces") or "")
        if interfaces:
            # The application named the interfaces: gather on their addresses only.
            addresses = interface_addresses(interfaces)
            if not addresses:
                raise e.IceGatherCandidatesError(
                    f"No address on network interfaces '{interfaces}'")
        stun = ""
        if self.props.get("stunServerAddress"):
            port = self.props.get("stunServerPort") or 3478
            stun = f"stun://{self.props['stunServerAddress']}:{port}"
        turn = str(self.props.get("turnUrl") or "")
        self.webrtc_media.configure(WebRtcConfig(
            ice_addresses=addresses,
            recvonly=self.recvonly,
            sendonly=self.sendonly,
            ice_tcp=bool(self.props.get("iceTcp")),
            stun_server=stun,
            turn_server=f"turn://{turn}" if turn else "",
            mtu=int(self.props.get("mtu") or 1200),
            certificate_key_type=self.certificate_key_type,
            data_channels=self.use_data_channels,
        ))

    # --- ICE --------------------------------------------------------------------------

    def gather_candidates(self) -> None:
        self.webrtc_media.gather_candidates()

    def add_ice_candidate(self, candidate: dict[str, Any]) -> None:
        line = candidate.get("candidate")
        if not isinstance(line, str):
            raise e.IceAddCandidateError("Error adding candidate")
        try:
            self.webrtc_media.add_ice_candidate(
                line, str(candidate.get("sdpMid") or ""), int(candidate.get("sdpMLineIndex") or 0)
            )
        except ValueError:
            raise e.IceAddCandidateError("Error adding candidate") from None

    def get_ice_candidate_pairs(self) -> list[dict[str, Any]]:
        return list(self.candidate_pairs)

    def get_ice_connection_state(self) -> list[dict[str, Any]]:
        return [{"__type__": "IceConnection", "streamId": str(stream), "componentId": component,
                 "state": state} for (stream, component), state in self.ice_states.items()]

    def get_dtls_connection_state(self) -> list[dict[str, Any]]:
        return [{"__type__": "DtlsConnection", "streamId": s, "componentId": c,
                 "connectionId": i, "state": state}
                for (s, c, i), state in self.dtls_states.items()]

    # --- stats ------------------------------------------------------------------------

    async def get_stats(  # type: ignore[override]
        self, media_type: str | None = None
    ) -> dict[str, Any]:
        stats = await super().get_stats(media_type)
        if media_type in (None, "DATA"):
            stats.update(self.data_channel_stats(int(time.time() * 1000)))
        return stats

    # --- engine listener (loop) ---------------------------------------------------------

    def on_ice_candidate(self, candidate: str, sdp_mid: str, sdp_mline_index: int) -> None:
        candidate = with_external_address(candidate, str(self.props.get("externalIPv4") or ""),
                                          str(self.props.get("externalIPv6") or ""))
        self.emit("IceCandidateFound", candidate={
            "__type__": "IceCandidate", "candidate": candidate, "sdpMid": sdp_mid,
            "sdpMLineIndex": sdp_mline_index})

    def on_ice_gathering_done(self) -> None:
        self.emit("IceGatheringDone")

    def on_ice_component_state(self, stream_id: int, component_id: int, state: str) -> None:
        if self.ice_states.get((stream_id, component_id)) != state:
            self.ice_states[(stream_id, component_id)] = state
            self.emit("IceComponentStateChanged", streamId=stream_id,
                      componentId=component_id, state=state)

    def on_candidate_pair_selected(
        self, stream_id: str, component_id: int, local: str, remote: str
    ) -> None:
        pair = {"__type__": "IceCandidatePair", "streamId": stream_id,
                "componentId": component_id, "localCandidate": local, "remoteCandidate": remote}
        self.candidate_pairs = [p for p in self.candidate_pairs
                                if (p["streamId"], p["componentId"]) != (stream_id, component_id)]
        self.candidate_pairs.append(pair)
        self.emit("NewCandidatePairSelected", candidatePair=pair)

    def on_dtls_state(
        self, stream_id: str, component_id: str, connection_id: str, state: str
    ) -> None:
        key = (stream_id, component_id, connection_id)
        if self.dtls_states.get(key) != state:
            self.dtls_states[key] = state
            self.emit("DtlsConnectionStateChange", streamId=stream_id, componentId=component_id,
                      connectionId=connection_id, state=state)


if TYPE_CHECKING:
    from kurento.engine.contract import WebRtcListener

    def _conforms(endpoint: WebRtcEndpoint) -> WebRtcListener:
        return endpoint  # mypy checks we hear everything the engine reports
