"""Addresses of named network interfaces, for WebRtcEndpoint's ``networkInterfaces``.

KMS gathers ICE candidates only on the listed interfaces (a comma-separated list of
names, reference §2.3). We turn the names into their addresses, which is what the
engine pins ICE gathering to.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

_SIOCGIFADDR = 0x8915  # linux/sockios.h: get an interface's IPv4 address


def interface_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def ipv4_address(name: str) -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            reply = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR,
                                struct.pack("256s", name.encode()[:15]))
        except OSError:  # no such interface, or no IPv4 address on it
            return None
    return socket.inet_ntoa(reply[20:24])


def ipv6_addresses(name: str, if_inet6: Path = Path("/proc/net/if_inet6")) -> list[str]:
    """Global and loopback IPv6 addresses (link-local ones need a scope: skipped)."""
    try:
        lines = if_inet6.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) == 6 and fields[5] == name:
            address = ipaddress.IPv6Address(int(fields[0], 16))
            if not address.is_link_local:
                found.append(str(address))
    return found


def interface_addresses(text: str) -> tuple[str, ...]:
    """Every usable address of the comma-separated interface names, IPv4 first."""
    addresses: list[str] = []
    for name in interface_names(text):
        ipv4 = ipv4_address(name)
        if ipv4 is not None:
            addresses.append(ipv4)
        addresses.extend(ipv6_addresses(name))
    return tuple(addresses)
