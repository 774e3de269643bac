"""WebRtcEndpoint data channels (reference §2.2 createDataChannel/closeDataChannel,
§2.5 RTCPeerConnectionStats/RTCDataChannelStats, §2.6 DataChannelOpened/Closed).

A mixin of :class:`~kurento.objects.webrtc_endpoint.WebRtcEndpoint`; the media
part is a :class:`~kurento.engine.contract.DataChannelMedia`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kurento.engine.contract import DataChannelMedia, DataChannelStats, WebRtcError
from kurento.protocol import errors as e


class DataChannelsMixin:
    """createDataChannel, closeDataChannel, their events and stats."""

    use_data_channels: bool
    media: Any
    id: str

    if TYPE_CHECKING:
        def emit(self, event: str, **data: Any) -> None: ...  # MediaObject's

    def _data_media(self, action: str) -> DataChannelMedia:
        if not self.use_data_channels:
            raise e.MediaObjectOperationNotSupported(
                f"Cannot {action} data channel: data channels are not enabled in this endpoint")
        if not isinstance(self.media, DataChannelMedia):
            raise e.NotImplementedKurento("Data channels are not supported by this engine")
        return self.media

    async def create_data_channel(
        self,
        label: str | None = None,
        ordered: bool | None = None,
        max_packet_life_time: int | None = None,
        max_retransmits: int | None = None,
        protocol: str | None = None,
    ) -> None:
        media = self._data_media("create")
        lifetime = -1 if max_packet_life_time is None else int(max_packet_life_time)
        retransmits = -1 if max_retransmits is None else int(max_retransmits)
        if lifetime >= 0 and retransmits >= 0:
            raise e.MediaObjectIllegalParamError(
                "maxPacketLifeTime and maxRetransmits cannot be both set")
        try:
            await media.create_data_channel(label or "", True if ordered is None else ordered,
                                            lifetime, retransmits, protocol or "")
        except WebRtcError as error:
            raise e.UnexpectedError(f"Cannot create data channel: {error}") from None

    async def close_data_channel(self, channel_id: int) -> None:
        media = self._data_media("close")
        try:
            await media.close_data_channel(int(channel_id))
        except KeyError:
            raise e.MediaObjectIllegalParamError(
                f"Cannot close data channel: no open data channel with id {channel_id}"
            ) from None
        except WebRtcError as error:
            raise e.UnexpectedError(f"Cannot close data channel: {error}") from None

    # --- engine listener (loop) ---------------------------------------------------------

    def on_data_channel_opened(self, channel_id: int) -> None:
        self.emit("DataChannelOpened", channelId=channel_id)

    def on_data_channel_closed(self, channel_id: int) -> None:
        self.emit("DataChannelClosed", channelId=channel_id)

    # --- stats --------------------------------------------------------------------------

    def data_channel_stats(self, now: int) -> dict[str, Any]:
        """RTCPeerConnectionStats and one RTCDataChannelStats per channel (§2.5)."""
        if not self.use_data_channels or not isinstance(self.media, DataChannelMedia):
            return {}
        opened, closed, channels = self.media.data_channel_stats()
        session_id = f"{self.id}_session"
        stats: dict[str, Any] = {session_id: {
            "__type__": "RTCPeerConnectionStats", "id": session_id, "type": "session",
            "timestampMillis": now, "dataChannelsOpened": opened,
            "dataChannelsClosed": closed,
        }}
        for index, channel in enumerate(channels):
            sid = f"{self.id}_datachannel_{index}"
            stats[sid] = _channel_stats(sid, channel, now)
        return stats


def _channel_stats(sid: str, channel: DataChannelStats, now: int) -> dict[str, Any]:
    return {
        "__type__": "RTCDataChannelStats", "id": sid, "type": "datachannel",
        "timestampMillis": now, "label": channel.label, "protocol": channel.protocol,
        "datachannelid": channel.channel_id, "state": channel.state,
        "messagesSent": channel.messages_sent, "bytesSent": channel.bytes_sent,
        "messagesReceived": channel.messages_received,
        "bytesReceived": channel.bytes_received,
    }
