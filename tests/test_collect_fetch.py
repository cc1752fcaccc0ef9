"""The safe fetcher against a local feed server: validators, limits, hostile servers."""

from __future__ import annotations

import socket
import threading

import pytest

from collectors.fetch import Fetcher, FetchError, FetchPolicy, is_public
from tests.feedserver import (Drip, Reply, Script, Stall, StaticFeed, feed_server,  # noqa: F401
                              gzip_bomb, gzipped)
from tests.feedtools import Item, rss

FEED = rss([Item("Seoul and Tokyo hold talks", "https://news.example.org/a/1", "g1")])


def fetcher(**overrides) -> Fetcher:
    policy = dict(connect_timeout=1.0, read_timeout=1.0, deadline=2.0, max_bytes=1 << 20,
                  max_redirects=3, allow_private=True, user_agent="newswatch-test")
    policy.update(overrides)
    return Fetcher(FetchPolicy(**policy))


class TestConditionalGet:
    def test_200_then_304_with_both_validators(self, feed_server):
        feed = StaticFeed(FEED, etag='"abc"', last_modified="Mon, 02 Feb 2026 10:00:00 GMT")
        url = feed_server.route("/feed.xml", feed)
        with fetcher() as f:
            first = f.fetch(url)
            assert first.status == 200 and first.body == FEED
            assert first.header("etag") == '"abc"'
            second = f.fetch(url, etag=first.header("etag"),
                             last_modified=first.header("last-modified"))
        assert second.status == 304 and second.body == b""
        sent = feed_server.requests_for("/feed.xml")[1].headers
        assert sent["if-none-match"] == '"abc"'
        assert sent["if-modified-since"] == "Mon, 02 Feb 2026 10:00:00 GMT"
        assert sent["user-agent"] == "newswatch-test"
        assert feed.served_304 == 1

    def test_first_request_carries_no_validators(self, feed_server):
        url = feed_server.route("/feed.xml", StaticFeed(FEED))
        with fetcher() as f:
            f.fetch(url)
        headers = feed_server.requests_for("/feed.xml")[0].headers
        assert "if-none-match" not in headers and "if-modified-since" not in headers

    def test_gzip_body_is_decompressed(self, feed_server):
        url = feed_server.route("/gz.xml", Reply(200, gzipped(FEED),
                                                 {"Content-Encoding": "gzip"}))
        with fetcher() as f:
            assert f.fetch(url).body == FEED
        assert "gzip" in feed_server.requests_for("/gz.xml")[0].headers["accept-encoding"]


class TestRedirects:
    def test_followed_and_permanent_target_reported(self, feed_server):
        feed_server.route("/old.xml", Reply(301, headers={"Location": "/new.xml"}))
        feed_server.route("/new.xml", StaticFeed(FEED))
        with fetcher() as f:
            response = f.fetch(feed_server.url("/old.xml"))
        assert response.status == 200 and response.body == FEED
        assert response.url == feed_server.url("/new.xml")
        assert response.permanent_url == feed_server.url("/new.xml")

    def test_temporary_redirect_is_not_a_move(self, feed_server):
        feed_server.route("/tmp.xml", Reply(302, headers={"Location": "/new.xml"}))
        feed_server.route("/new.xml", StaticFeed(FEED))
        with fetcher() as f:
            assert f.fetch(feed_server.url("/tmp.xml")).permanent_url is None

    def test_loop_is_refused(self, feed_server):
        feed_server.route("/a", Reply(302, headers={"Location": "/b"}))
        feed_server.route("/b", Reply(302, headers={"Location": "/a"}))
        with fetcher() as f, pytest.raises(FetchError) as info:
            f.fetch(feed_server.url("/a"))
        assert info.value.kind == "redirects" and "loop" in str(info.value)
        assert len(feed_server.requests) == 2

    def test_chain_longer_than_the_cap_is_refused(self, feed_server):
        for i in range(6):
            feed_server.route(f"/r{i}", Reply(302, headers={"Location": f"/r{i + 1}"}))
        with fetcher(max_redirects=3) as f, pytest.raises(FetchError) as info:
            f.fetch(feed_server.url("/r0"))
        assert info.value.kind == "redirects"
        assert len(feed_server.requests) == 4  # the first request and three redirects

    def test_redirect_to_another_scheme_is_refused(self, feed_server, tmp_path):
        secret = tmp_path / "secret.txt"
        secret.write_text("do not read me")
        feed_server.route("/f", Reply(302, headers={"Location": f"file://{secret}"}))
        with fetcher() as f, pytest.raises(FetchError) as info:
            f.fetch(feed_server.url("/f"))
        assert info.value.kind == "scheme"


class TestPrivateNetworks:
    def test_loopback_refused_unless_allowed(self, feed_server):
        url = feed_server.route("/feed.xml", StaticFeed(FEED))
        with fetcher(allow_private=False) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "refused-address" and "allow_private_networks" in str(
            info.value)
        assert feed_server.requests == []  # refused before connecting

    def test_host_names_are_resolved_and_checked(self, feed_server):
        url = feed_server.route("/feed.xml", StaticFeed(FEED)).replace("127.0.0.1",
                                                                       "localhost")
        with fetcher(allow_private=False) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "refused-address"

    def test_a_name_resolving_to_loopback_is_refused(self, feed_server):
        port = feed_server.base_url.rsplit(":", 1)[1]
        feed_server.route("/feed.xml", StaticFeed(FEED))
        f = Fetcher(FetchPolicy(allow_private=False),
                    resolver=lambda host, port: ["127.0.0.1"])
        with f, pytest.raises(FetchError) as info:
            f.fetch(f"http://feeds.example.org:{port}/feed.xml")
        assert info.value.kind == "refused-address" and "feeds.example.org" in str(info.value)
        assert feed_server.requests == []

    def test_every_hop_is_resolved_and_the_connection_pinned(self, feed_server):
        port = feed_server.base_url.rsplit(":", 1)[1]
        feed_server.route("/old", Reply(301, headers={"Location": f"http://b.test:{port}/new"}))
        feed_server.route("/new", StaticFeed(FEED))
        resolved = []

        def resolver(host, port):
            resolved.append(host)
            return ["127.0.0.1"]

        with Fetcher(FetchPolicy(allow_private=True), resolver=resolver) as f:
            response = f.fetch(f"http://a.test:{port}/old")
        assert response.status == 200 and resolved == ["a.test", "b.test"]
        # The connection went to the checked address; the request still names the host.
        assert feed_server.requests_for("/new")[0].headers["host"] == f"b.test:{port}"

    def test_other_schemes_are_refused_before_any_request(self):
        with fetcher() as f:
            for url in ("file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://x/"):
                with pytest.raises(FetchError) as info:
                    f.fetch(url)
                assert info.value.kind == "scheme"

    @pytest.mark.parametrize("address,public", [
        ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False),
        ("172.16.5.4", False), ("169.254.169.254", False), ("0.0.0.0", False),
        ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False), ("224.0.0.1", False), ("8.8.8.8", True),
        ("2001:4860:4860::8888", True)])
    def test_address_classes(self, address, public):
        assert is_public(address) is public


class TestHostileServers:
    def test_slow_drip_hits_the_total_deadline(self, feed_server):
        drip = Drip(total=10_000, interval=0.05)
        url = feed_server.route("/drip", drip)
        with fetcher(read_timeout=1.0, deadline=1.0) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "deadline"
        assert drip.client_gone.wait(5)  # the worker let go; the server noticed
        assert drip.sent < drip.total

    def test_stalled_connection_hits_the_read_timeout(self, feed_server):
        stall = Stall()
        url = feed_server.route("/stall", stall)
        with fetcher(read_timeout=0.5, deadline=5.0) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind in ("read-timeout", "deadline")
        assert stall.requests == 1

    def test_connection_accepted_by_the_kernel_but_never_served(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # never accept(): the handshake completes, nothing answers
        try:
            port = listener.getsockname()[1]
            with fetcher(read_timeout=0.5) as f, pytest.raises(FetchError) as info:
                f.fetch(f"http://127.0.0.1:{port}/feed")
            assert info.value.kind in ("read-timeout", "deadline")
        finally:
            listener.close()

    def test_a_server_that_never_completes_the_handshake_hits_the_connect_timeout(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # room for one queued connection, never accepted
        port = listener.getsockname()[1]
        queued = socket.create_connection(("127.0.0.1", port), timeout=2)
        try:  # the queue is full: the kernel drops the next SYN and the client waits
            with fetcher(connect_timeout=0.5) as f, pytest.raises(FetchError) as info:
                f.fetch(f"http://127.0.0.1:{port}/feed")
            assert info.value.kind == "connect-timeout"
        finally:
            queued.close()
            listener.close()

    def test_nothing_listening_is_a_connect_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with fetcher() as f, pytest.raises(FetchError) as info:
            f.fetch(f"http://127.0.0.1:{port}/feed")
        assert info.value.kind == "connect"

    def test_20mb_body_announced_by_content_length_is_refused_unread(self, feed_server):
        url = feed_server.route("/big", Reply(200, b"<rss>" + b"x" * (20 << 20)))
        with fetcher(max_bytes=10 << 20) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "too-large" and "announces" in str(info.value)

    def test_20mb_body_without_content_length_is_cut_at_the_cap(self, feed_server):
        url = feed_server.route("/big", Reply(200, b"<rss>" + b"x" * (20 << 20),
                                              content_length=False))
        with fetcher(max_bytes=10 << 20, deadline=10) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "too-large" and "after decompression" in str(info.value)

    def test_gzip_bomb_is_cut_at_the_cap_after_decompression(self, feed_server):
        bomb = gzip_bomb(200 << 20)
        assert len(bomb) < 1 << 20  # small on the wire, 200 MB inflated
        url = feed_server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
        with fetcher(max_bytes=1 << 20) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "too-large"

    def test_deflate_bomb_too(self, feed_server):
        import zlib
        bomb = zlib.compress(b"\0" * (50 << 20), 9)
        url = feed_server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "deflate"}))
        with fetcher(max_bytes=1 << 20) as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "too-large"

    def test_unknown_content_encoding_is_an_error(self, feed_server):
        url = feed_server.route("/br", Reply(200, b"xx", {"Content-Encoding": "br"}))
        with fetcher() as f, pytest.raises(FetchError) as info:
            f.fetch(url)
        assert info.value.kind == "encoding"

    def test_error_statuses_come_back_unread(self, feed_server):
        url = feed_server.route("/s", Script(Reply(500, b"boom"), Reply(410, b"gone"),
                                             Reply(429, b"", {"Retry-After": "120"})))
        with fetcher() as f:
            assert [f.fetch(url).status for _ in range(3)] == [500, 410, 429]
            assert f.fetch(url).header("retry-after") == "120"

    def test_workers_share_one_fetcher(self, feed_server):
        url = feed_server.route("/feed.xml", StaticFeed(FEED))
        results = []
        with fetcher() as f:
            threads = [threading.Thread(target=lambda: results.append(f.fetch(url).status))
                       for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert results == [200] * 8
