"""A fake Slack Web API on 127.0.0.1 for tests and the benchmark.

It implements what the alerter calls, the way Slack answers it: `auth.test`,
`chat.postMessage` (JSON body, as slack-sdk sends it), `conversations.history` and
`conversations.replies` (form bodies; message metadata only with include_all_metadata;
`latest`/`inclusive` too), `chat.update` (counted in the message's "edits"),
`conversations.list`, `chat.postEphemeral` (kept in `.ephemerals`), and an incoming-webhook
path. It also plays Slack's side of interactivity: `click_payload` builds the block_actions
payload of a click on a stored message, `interact` posts it form-encoded and signed (v0
HMAC-SHA256, X-Slack-Request-Timestamp) to an endpoint. Every request is recorded in `.calls`;
`.posts(channel)` lists the messages that were stored. Failures are scripted per method:

    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    fake.fail_next("chat.postMessage", status=500, times=2)
    fake.error_next("chat.postMessage", "channel_not_found")
    fake.drop_next("chat.postMessage", after_store=True)   # store it, then hang up

Point the real client at it with NEWSWATCH_SLACK_API_URL=fake.url and SLACK_BOT_TOKEN=fake.token.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

WEBHOOK_PATH = "/services/T00000000/B00000000/fakewebhooksecret"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int
    error: str | None
    at: float


@dataclass
class Script:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    drop: bool = False
    after_store: bool = False


@dataclass
class Channel:
    id: str
    name: str
    archived: bool = False
    member: bool = True
    messages: list[dict] = field(default_factory=list)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


class FakeSlack:
    def __init__(self, channels: dict[str, str] | None = None, *,
                 token: str = "xoxb-fake-token-for-tests", webhook_channel: str | None = None,
                 ) -> None:
        self.token = token
        self.revoked = False
        self.channels: dict[str, Channel] = {}
        for cid, name in (channels or {"C0ALERTS01": "watch-alerts"}).items():
            self.add_channel(cid, name)
        self.webhook_channel = webhook_channel or next(iter(self.channels))
        self.calls: list[Call] = []
        self.ephemerals: list[dict] = []
        self.signing_secret = "fake-signing-secret-8f14e45fceea167a"
        self.on_post: Callable[[dict], None] | None = None
        self._scripts: dict[str, list[Script]] = {}
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ test API

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def add_channel(self, cid: str, name: str, *, archived: bool = False,
                    member: bool = True) -> None:
        self.channels[cid] = Channel(cid, name, archived, member)

    def fail_next(self, method: str, *, status: int, retry_after: float | None = None,
                  times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an HTTP error status."""
        with self._lock:
            self._scripts.setdefault(method, []).extend(
                Script(status=status, retry_after=retry_after) for _ in range(times))

    def error_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next calls with HTTP 200 and {"ok": false, "error": error}."""
        with self._lock:
            self._scripts.setdefault(method, []).extend(Script(error=error) for _ in range(times))

    def drop_next(self, method: str, *, after_store: bool = False, times: int = 1) -> None:
        """Close the connection without an answer (after storing the post if asked)."""
        with self._lock:
            self._scripts.setdefault(method, []).extend(
                Script(drop=True, after_store=after_store) for _ in range(times))

    def posts(self, channel: str | None = None, *, include_webhook: bool = True) -> list[dict]:
        """Stored messages (replies included), oldest first; `channel` is an id or #name."""
        with self._lock:
            chans = list(self.channels.values())
            if channel is not None:
                cid = self._resolve(channel)
                chans = [self.channels[cid]] if cid else []
            out = [m for c in chans for m in c.messages
                   if include_webhook or not m.get("via_webhook")]
        return sorted(out, key=lambda m: m["received_at"])

    # ------------------------------------------------------------ interactivity

    def click_payload(self, message: dict, action_id: str, *, user: str = "U0OFFICER1",
                      option: str | None = None) -> dict:
        """The block_actions payload Slack sends when `user` clicks `action_id` on a stored
        message (for a select, `option` is the chosen option's value)."""
        element = None
        for block in message["blocks"]:
            for el in block.get("elements", []) + ([block["accessory"]]
                                                   if "accessory" in block else []):
                if el.get("action_id") == action_id:
                    element, block_id = el, block.get("block_id", "b")
        if element is None:
            raise KeyError(f"no element {action_id} in message {message['ts']}")
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id,
                                  "type": element["type"], "action_ts": f"{time.time():.6f}"}
        if element["type"] == "button":
            action["value"] = element["value"]
        else:
            chosen = [o for o in element["options"] if o["value"] == option]
            if not chosen:
                raise KeyError(f"no option {option} in {action_id}")
            action["selected_option"] = chosen[0]
        cid = message["channel"]
        return {"type": "block_actions", "user": {"id": user, "username": "officer",
                                                  "team_id": "T00000000"},
                "api_app_id": "A0FAKE0001", "token": "legacy-verification-token",
                "container": {"type": "message", "message_ts": message["ts"],
                              "channel_id": cid, "is_ephemeral": False},
                "trigger_id": "1.2.3", "team": {"id": "T00000000", "domain": "fakewatch"},
                "channel": {"id": cid, "name": self.channels[cid].name},
                "message": self._public(message, True),
                "response_url": f"{self.url}response/{message['ts']}",
                "actions": [action]}

    def sign(self, body: bytes, timestamp: int | None = None,
             secret: str | None = None) -> dict[str, str]:
        """The headers Slack puts on a request: v0 HMAC-SHA256 of `v0:ts:body`."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new((secret or self.signing_secret).encode(),
                          f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
                "Content-Type": "application/x-www-form-urlencoded"}

    def interact(self, url: str, payload: dict, **sign: Any) -> "httpx.Response":
        """POST a payload to an interactivity endpoint exactly as Slack does."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return httpx.post(url, content=body, headers=self.sign(body, **sign), timeout=10)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ behaviour

    def _resolve(self, channel: str) -> str | None:
        if channel in self.channels:
            return channel
        name = channel.lstrip("#")
        for c in self.channels.values():
            if c.name == name:
                return c.id
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _store(self, cid: str, params: dict, *, via_webhook: bool = False) -> dict:
        message = {
            "type": "message", "ts": self._next_ts(), "channel": cid,
            "text": params.get("text", ""), "blocks": params.get("blocks") or [],
            "metadata": params.get("metadata"), "thread_ts": params.get("thread_ts"),
            "params": params, "received_at": time.time(), "via_webhook": via_webhook,
            "bot_id": "BFAKE0001",
        }
        self.channels[cid].messages.append(message)
        if self.on_post is not None:
            self.on_post(message)
        return message

    def _public(self, message: dict, with_metadata: bool) -> dict:
        out = {k: message[k] for k in ("type", "ts", "text", "blocks", "bot_id")}
        if message.get("thread_ts"):
            out["thread_ts"] = message["thread_ts"]
        if with_metadata and message.get("metadata"):
            out["metadata"] = message["metadata"]
        return out

    def _api(self, method: str, params: dict, token: str | None) -> dict:
        if token != self.token:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if self.revoked:
            return {"ok": False, "error": "token_revoked"}
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.example/", "team": "Fake Watch",
                    "user": "newswatch", "team_id": "T00000000", "user_id": "U0BOT0001",
                    "bot_id": "BFAKE0001"}
        if method == "chat.postMessage":
            cid = self._resolve(str(params.get("channel", "")))
            if cid is None:
                return {"ok": False, "error": "channel_not_found"}
            chan = self.channels[cid]
            if chan.archived:
                return {"ok": False, "error": "is_archived"}
            if not chan.member:
                return {"ok": False, "error": "not_in_channel"}
            if not params.get("text") and not params.get("blocks"):
                return {"ok": False, "error": "no_text"}
            thread = params.get("thread_ts")
            if thread and not any(m["ts"] == thread for m in chan.messages):
                return {"ok": False, "error": "thread_not_found"}
            message = self._store(cid, params)
            return {"ok": True, "channel": cid, "ts": message["ts"],
                    "message": self._public(message, True)}
        if method == "chat.update":
            cid = str(params.get("channel", ""))
            if cid not in self.channels:  # chat.update wants the channel id
                return {"ok": False, "error": "channel_not_found"}
            target = [m for m in self.channels[cid].messages if m["ts"] == params.get("ts")]
            if not target:
                return {"ok": False, "error": "message_not_found"}
            message = target[0]
            message["text"] = params.get("text", message["text"])
            if "blocks" in params:
                message["blocks"] = params.get("blocks") or []
            if params.get("metadata"):
                message["metadata"] = params["metadata"]
            message["edits"] = message.get("edits", 0) + 1
            return {"ok": True, "channel": cid, "ts": message["ts"], "text": message["text"]}
        if method == "chat.postEphemeral":
            cid = self._resolve(str(params.get("channel", "")))
            if cid is None:
                return {"ok": False, "error": "channel_not_found"}
            self.ephemerals.append({"channel": cid, "user": params.get("user"),
                                    "text": params.get("text", "")})
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("conversations.history", "conversations.replies"):
            cid = str(params.get("channel", ""))
            if cid not in self.channels:  # the real API wants an id here, not a #name
                return {"ok": False, "error": "channel_not_found"}
            chan = self.channels[cid]
            oldest = float(params.get("oldest") or 0)
            with_meta = _truthy(params.get("include_all_metadata", "0"))
            if method == "conversations.history":
                pool = [m for m in chan.messages if not m.get("thread_ts")]
                pool = sorted(pool, key=lambda m: float(m["ts"]), reverse=True)
            else:
                root = str(params.get("ts", ""))
                pool = [m for m in chan.messages
                        if m["ts"] == root or m.get("thread_ts") == root]
                if not pool:
                    return {"ok": False, "error": "thread_not_found"}
                pool = sorted(pool, key=lambda m: float(m["ts"]))
            pool = [m for m in pool if float(m["ts"]) > oldest]
            if params.get("latest"):
                latest = float(params["latest"])
                inclusive = _truthy(params.get("inclusive", "0"))
                pool = [m for m in pool if float(m["ts"]) < latest
                        or (inclusive and float(m["ts"]) == latest)]
            start = int(params.get("cursor") or 0)
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            page = pool[start:start + limit]
            more = start + limit < len(pool)
            return {"ok": True, "messages": [self._public(m, with_meta) for m in page],
                    "has_more": more,
                    "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        if method == "conversations.list":
            chans = [c for c in self.channels.values()
                     if not (c.archived and _truthy(params.get("exclude_archived", "0")))]
            return {"ok": True, "channels": [{"id": c.id, "name": c.name,
                                              "is_archived": c.archived} for c in chans],
                    "response_metadata": {"next_cursor": ""}}
        return {"ok": False, "error": "unknown_method"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _params(self) -> dict[str, Any]:
                parts = urlsplit(self.path)
                params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if raw and "json" in ctype:
                    params.update(json.loads(raw.decode("utf-8")))
                elif raw:
                    params.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
                return params

            def _send(self, status: int, body: bytes, ctype: str,
                      headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client died mid-request (crash tests)

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                webhook = path == WEBHOOK_PATH
                if not webhook and not path.startswith("/api/"):
                    self._send(404, b"not found", "text/plain")
                    return
                method = "webhook" if webhook else path[len("/api/"):]
                params = self._params()
                auth = self.headers.get("Authorization", "")
                token = auth[len("Bearer "):] if auth.startswith("Bearer ") else \
                    params.get("token")
                with fake._lock:
                    queue = fake._scripts.get(method) or []
                    script = queue.pop(0) if queue else None
                    call = Call(method, params, token, 200, None, time.time())
                    fake.calls.append(call)
                    if script is not None and script.drop:
                        if script.after_store:
                            self._answer(method, params, token, webhook)
                        call.status, call.error = 0, "dropped"
                        self.close_connection = True
                        return
                    if script is not None and script.status != 200:
                        call.status = script.status
                        headers = {}
                        if script.retry_after is not None:
                            headers["Retry-After"] = f"{script.retry_after:g}"
                        error = "ratelimited" if script.status == 429 else "internal_error"
                        call.error = error
                        body = error.encode() if webhook else \
                            json.dumps({"ok": False, "error": error}).encode()
                        self._send(script.status, body,
                                   "text/plain" if webhook else "application/json", headers)
                        return
                    if script is not None and script.error:
                        call.error = script.error
                        if webhook:
                            self._send(404 if "not_found" in script.error else 403,
                                       script.error.encode(), "text/plain")
                        else:
                            self._send(200, json.dumps({"ok": False,
                                                        "error": script.error}).encode(),
                                       "application/json; charset=utf-8")
                        return
                    status, body, ctype = self._answer(method, params, token, webhook)
                    call.status = status
                    if not webhook:
                        result = json.loads(body)
                        call.error = None if result.get("ok") else result.get("error")
                self._send(status, body, ctype)

            def _answer(self, method: str, params: dict, token: str | None,
                        webhook: bool) -> tuple[int, bytes, str]:
                if webhook:
                    if not params.get("text") and not params.get("blocks"):
                        return 400, b"no_text", "text/plain"
                    fake._store(fake.webhook_channel, params, via_webhook=True)
                    return 200, b"ok", "text/plain"
                result = fake._api(method, params, token)
                return 200, json.dumps(result).encode(), "application/json; charset=utf-8"

        return Handler
