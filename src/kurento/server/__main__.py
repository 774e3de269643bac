"""``python -m kurento.server`` / ``kurento-server``: run the media server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from kurento.filters.plugins import FilterPluginError
from kurento.server.app import MediaServer
from kurento.server.settings import Settings, load_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kurento-server", description=__doc__)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8888)")
    parser.add_argument("--path", help="WebSocket path (default kurento)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR (default INFO)")
    parser.add_argument("--config", help="TOML settings file; KURENTO_* env vars override it")
    return parser.parse_args(argv)


async def serve(settings: Settings) -> None:
    server = MediaServer(settings)
    await server.start()
    print(f"kurento-server listening on {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = load_settings(
        args.config,
        overrides={"host": args.host, "port": args.port, "path": args.path,
                   "log_level": args.log_level},
    )
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(serve(settings))
    except FilterPluginError as error:
        raise SystemExit(f"kurento-server: {error}") from None


if __name__ == "__main__":
    main()
