"""Candidate rewriting for servers behind NAT: WebRtcEndpoint's externalIPv4/externalIPv6.

KMS announces its host candidates with the configured public address instead of the
local one (the port stays: the NAT is expected to forward it one to one).
"""

from __future__ import annotations

import ipaddress


def with_external_address(candidate: str, external_ipv4: str, external_ipv6: str) -> str:
    """``candidate:...`` text with a host candidate's address replaced, else unchanged.

    Fields (RFC 8839): foundation component transport priority address port ``typ``
    type ...; only ``typ host`` candidates carry a local address worth replacing.
    """
    fields = candidate.split()
    if len(fields) < 8 or fields[6] != "typ" or fields[7] != "host":
        return candidate
    try:
        address = ipaddress.ip_address(fields[4])
    except ValueError:
        return candidate  # an mDNS name or garbage: leave it to the peer
    replacement = external_ipv4 if address.version == 4 else external_ipv6
    if not replacement:
        return candidate
    fields[4] = replacement
    return " ".join(fields)
