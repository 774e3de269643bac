"""RtpEndpoint: plain RTP, or SRTP keyed by SDES, negotiated by SDP (reference §2.2, §2.3).

The negotiation rules (one exchange, 4020x errors, MediaSessionStarted, media and
connection states) are :class:`~kurento.objects.sdp_endpoint.BaseRtpEndpoint`'s;
the media part is a :class:`~kurento.engine.rtp_contract.RtpMedia`.

* ``crypto`` (SDES): SRTP when it names a suite, as in KMS. ``key`` is the master
  key + salt as text, ``keyBase64`` the same base64-encoded; neither: a random
  key. A key of the wrong size is refused at creation (40107, KMS's message).
* ``useIpv6``: listen and announce on ``extra.rtp_address_ipv6`` (default ``::1``)
  instead of ``extra.rtp_address`` (default: the first of
  ``extra.webrtc_ice_addresses``, else ``127.0.0.1``): loopback unless configured.
* ``OnKeySoftLimit`` is never raised (SRTP keys are not renegotiated here).
* Media from the pipeline must be encoded (VP8, H.264, Opus, as a WebRtcEndpoint
  outputs it): raw input is refused with an ``Error`` event (40005), not encoded.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from typing import TYPE_CHECKING, Any

from kurento.engine.rtp_contract import SRTP_KEY_SIZES, RtpConfig, RtpMedia, SdesKey
from kurento.objects.sdp_endpoint import BaseRtpEndpoint
from kurento.objects.transcoding import TranscodingReports
from kurento.protocol import errors as e

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_ADDRESS_IPV6 = "::1"

log = logging.getLogger(__name__)


class RtpEndpoint(TranscodingReports, BaseRtpEndpoint):
    TYPE = "RtpEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crypto = sdes_key(self.params.get("crypto"))
        self.use_ipv6 = bool(self.params.get("useIpv6", False))

    @property
    def rtp_media(self) -> RtpMedia:
        media = self.media
        if not isinstance(media, RtpMedia):
            raise e.NotImplementedKurento(f"{self.TYPE} has no RTP media engine here")
        return media

    def before_negotiation(self) -> None:
        self.rtp_media.configure(RtpConfig(
            address=self._address(), crypto=self.crypto,
            mtu=int(self.props.get("mtu") or 1200)))

    def _address(self) -> str:
        extra = self.context.settings.extra
        if self.use_ipv6:
            return str(extra.get("rtp_address_ipv6") or DEFAULT_ADDRESS_IPV6)
        configured = extra.get("rtp_address")
        if configured:
            return str(configured)
        ice = extra.get("webrtc_ice_addresses")
        if isinstance(ice, str):  # "10.0.0.5, 127.0.0.1" from an environment variable
            ice = [part.strip() for part in ice.split(",") if part.strip()]
        ipv4 = [str(a) for a in ice or () if ":" not in str(a)]
        return ipv4[0] if ipv4 else DEFAULT_ADDRESS


def sdes_key(crypto: Any) -> SdesKey | None:
    """Our SRTP keying from the ``crypto`` constructor param (KMS RtpEndpointImpl rules)."""
    if not isinstance(crypto, dict) or not crypto.get("crypto"):
        return None  # no suite: plain RTP
    suite = str(crypto["crypto"])
    if suite not in SRTP_KEY_SIZES:
        raise e.MediaObjectIllegalParamError(f"Invalid crypto suite '{suite}'")
    size = sum(SRTP_KEY_SIZES[suite])
    if crypto.get("key"):
        key = str(crypto["key"]).encode("utf-8")
    elif crypto.get("keyBase64"):
        try:
            key = base64.b64decode(str(crypto["keyBase64"]), validate=True)
        except (binascii.Error, ValueError):
            raise e.MediaObjectIllegalParamError("Master key size out of range") from None
    else:
        return SdesKey(suite, os.urandom(size))
    if len(key) != size:
        raise e.MediaObjectIllegalParamError("Master key size out of range")
    return SdesKey(suite, key)


if TYPE_CHECKING:
    from kurento.engine.rtp_contract import RtpListener

    def _conforms(endpoint: RtpEndpoint) -> RtpListener:
        return endpoint  # mypy checks we hear everything the engine reports
