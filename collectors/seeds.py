"""The sample feeds in seeds/feeds/, served on loopback so the demo runs offline.

`demo_feeds_config(base_url)` gives a feeds.yaml listing them (loopback allowed), and
`SeedFeedServer` serves them with Last-Modified, so a second poll gets 304.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

SEED_FEEDS = Path(__file__).resolve().parent.parent / "seeds" / "feeds"
_TYPES = {".xml": "application/rss+xml; charset=utf-8",
          ".rss": "application/rss+xml; charset=utf-8",
          ".atom": "application/atom+xml; charset=utf-8"}


def seed_feed_files(directory: Path = SEED_FEEDS) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in _TYPES)


def demo_feeds_config(base_url: str, directory: Path = SEED_FEEDS) -> str:
    """feeds.yaml text listing every seed feed under `base_url` (http://127.0.0.1:PORT/)."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    config = {
        "allow_private_networks": True,
        "default_interval": "5m",
        "feeds": [{"id": f"sample-{p.stem}", "url": base + p.name, "language": "en",
                   "tags": ["sample"]} for p in seed_feed_files(directory)],
    }
    header = ("# Demo feeds: the sample feeds in seeds/feeds/, served on loopback.\n"
              "# allow_private_networks is on only because the server is local.\n")
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def write_demo_feeds_config(path: Path, base_url: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_feeds_config(base_url), encoding="utf-8")
    return path


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **_TYPES}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


class SeedFeedServer:
    """`with SeedFeedServer() as server: server.base_url` -> http://127.0.0.1:PORT/."""

    def __init__(self, directory: Path = SEED_FEEDS, port: int = 0) -> None:
        handler = functools.partial(_Handler, directory=str(directory))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="seed-feeds", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "SeedFeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SeedFeedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
