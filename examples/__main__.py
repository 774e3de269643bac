"""``python -m examples``: serves the demo applications on http://127.0.0.1:8443/.

    python -m examples [--host 127.0.0.1] [--port 8443]
                       [--media-server ws://127.0.0.1:8888/kurento]

Plain http is enough on loopback: browsers allow getUserMedia on http://127.0.0.1.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from aiohttp import web

from examples.app import create_app
from examples.common import DEFAULT_MEDIA_SERVER


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on (8443)")
    parser.add_argument(
        "--media-server", "--ws-uri",  # the latter as in Kurento's tutorials
        dest="media_server",
        default=os.environ.get("KURENTO_MEDIA_SERVER", DEFAULT_MEDIA_SERVER),
        help=f"media server URL (env KURENTO_MEDIA_SERVER, default {DEFAULT_MEDIA_SERVER})",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"demos on http://{args.host}:{args.port}/ (media server {args.media_server})",
          flush=True)
    web.run_app(create_app(args.media_server), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
