"""One Settings object: defaults < TOML file < environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kurento.server.__main__ import parse_args
from kurento.server.settings import Settings, load_settings

EXAMPLE = Path(__file__).parents[2] / "config" / "kurento.example.toml"


def test_defaults_are_kms_defaults() -> None:
    settings = load_settings(environ={})
    assert (settings.host, settings.port, settings.path) == ("127.0.0.1", 8888, "kurento")
    assert settings.gc_period == 240.0 and settings.request_cache_ttl == 20.0


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('port = 9100\ngc_period = 30\nmetadata = "m"\n')
    settings = load_settings(config, environ={"KURENTO_GC_PERIOD": "12.5"},
                             overrides={"path": "kms", "host": None})
    assert settings == Settings(port=9100, gc_period=12.5, metadata="m", path="kms")


def test_example_file_loads() -> None:
    assert load_settings(EXAMPLE, environ={}) == Settings()


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ValueError, match="prot"):
        load_settings(config, environ={})


def test_command_line() -> None:
    args = parse_args(["--port", "9999", "--path", "x", "--log-level", "DEBUG"])
    assert (args.port, args.path, args.log_level, args.host) == (9999, "x", "DEBUG", None)
