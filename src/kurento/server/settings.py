"""All server settings in one object: defaults, then a TOML file, then environment, then CLI.

Environment variables are ``KURENTO_`` + the field name in upper case, e.g.
``KURENTO_GC_PERIOD=60``. The config file is TOML with the same field names at
top level (see ``config/kurento.example.toml``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8888
    path: str = "kurento"
    log_level: str = "INFO"
    # Session garbage collection (reference §1.3): sessions idle for 1-2 periods expire.
    gc_period: float = 240.0
    # Duplicate-request cache lifetime, seconds; 0 disables it.
    request_cache_ttl: float = 20.0
    # Largest accepted WebSocket message, bytes (bad input: a 10 MB message is refused).
    max_message_size: int = 4 * 1024 * 1024
    # `create` fails with NOT_ENOUGH_RESOURCES above this fraction of fd/thread limits.
    resource_exception_limit: float = 0.8
    # How long a GStreamer state change or teardown may take before it is abandoned.
    teardown_timeout: float = 5.0
    # Free text returned by ServerManager.getMetadata (JSON text in KMS).
    metadata: str = ""
    # Directories that file:// URIs of players and recorders may use, separated by
    # os.pathsep. Kurento applications commonly record to and play from /tmp, and
    # KMS's own default directory is /var/lib/kurento.
    media_roots: str = "/tmp:/var/lib/kurento"
    # Networks (comma-separated CIDRs, e.g. "127.0.0.0/8,10.0.0.0/8") that http(s)://
    # and rtsp:// URIs may reach although they are loopback, private or link-local.
    # Empty: only public addresses (a client must not make us probe our own network).
    internal_networks: str = ""
    # Verify the TLS certificate of https:// overlay images (ImageOverlayFilter.addImage,
    # FaceOverlayFilter). Off by default: Kurento's tutorials serve them from the
    # application's own server with a self-signed certificate, and KMS fetches them.
    image_tls_verify: bool = False
    # Base of the URLs that HTTP endpoints hand out (getUrl), e.g. "https://media.example.com";
    # empty: http://HOST:PORT of this server (set it when HOST is 0.0.0.0 or behind a proxy).
    http_public_url: str = ""
    # Filter plug-ins to load at start (kurento.filters.plugins), besides the entry points
    # of group "kurento_py.filters": comma-separated "module" or "module:Class" items,
    # importable from sys.path. A bad one stops the server from starting.
    filter_plugins: str = ""
    # Extra search paths for settings that later features read (media roots etc.).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _convert(name: str, raw: Any) -> Any:
    kind = _FIELD_TYPES[name]
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "str":
        return str(raw)
    if kind == "bool":
        return _boolean(name, raw)
    return raw


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _boolean(name: str, raw: Any) -> bool:
    # TOML gives a real bool; the environment gives text, where bool("false") would be True.
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"setting {name} must be true or false, not {raw!r}")


def load_settings(
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from defaults < config file < environment < explicit overrides."""
    values: dict[str, Any] = {}
    if config_file is not None:
        with open(config_file, "rb") as handle:
            data = tomllib.load(handle)
        unknown = set(data) - set(_FIELD_TYPES)
        if unknown:
            raise ValueError(f"unknown settings in {config_file}: {', '.join(sorted(unknown))}")
        values.update({k: _convert(k, v) for k, v in data.items() if k != "extra"})
        if "extra" in data:
            values["extra"] = dict(data["extra"])
    env = os.environ if environ is None else environ
    for name in _FIELD_TYPES:
        key = "KURENTO_" + name.upper()
        if key in env and name != "extra":
            values[name] = _convert(name, env[key])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _convert(name, value)
    return Settings(**values)
