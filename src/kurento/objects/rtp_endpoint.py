"""RtpEndpoint (work in progress)."""

from __future__ import annotations

from kurento.objects.element import MediaElement


class RtpEndpoint(MediaElement):
    TYPE = "RtpEndpoint"
