"""Wire names (camelCase) ↔ Python names (snake_case), mapped in one place."""

from __future__ import annotations

import re
from functools import cache

# Tokens that a plain camelCase split would mangle (``getExternalIPv4``).
_SPECIAL = (("IPv4", "Ipv4"), ("IPv6", "Ipv6"), ("ICE", "Ice"), ("E2E", "E2e"))
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@cache
def snake_case(name: str) -> str:
    """``getICECandidatePairs`` → ``get_ice_candidate_pairs``; ``getExternalIPv4`` →
    ``get_external_ipv4``."""
    for token, replacement in _SPECIAL:
        name = name.replace(token, replacement)
    return _BOUNDARY.sub("_", name).lower()
