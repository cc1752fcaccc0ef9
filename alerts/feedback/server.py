"""`newswatch feedback serve`: Slack's interactivity Request URL, on Starlette and uvicorn.

Every request is checked before anything is read from it: its size (413), its timestamp
(401 when missing or more than five minutes off), its signature (slack-sdk's verifier with
the signing secret, 401) and whether the same signed request came before (a replay, 401).
Then the payload's shape (400). A click on an alert the ledger does not know is answered
and dropped. A known click becomes a mark, written to `newswatch.feedback` and confirmed by
Kafka before the request is answered; the message's "marked by" line is edited after the
answer, so Slack hears back within its three seconds. When Kafka does not confirm, the
officer gets a note only they see, asking them to click again. Responses never carry
anything from the request.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

import uvicorn
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from alerts.config import load_from_settings
from alerts.feedback.book import FeedbackBook, FeedbackReader
from alerts.feedback.clicks import Click, build_mark, clicks_of, payload_of
from alerts.feedback.writer import MarkWriter
from alerts.ledger import Entry, Ledger, LedgerReader
from alerts.sinks import DeliveryError, Sink, make_sink
from newswatch.broker.clients import make_producer
from newswatch.errors import ConfigError, FeedbackError
from newswatch.messages import Mark, utcnow
from newswatch.settings import Settings
from newswatch.topics import Topics

log = logging.getLogger(__name__)

PATH = "/slack/actions"
MAX_SKEW = 300  # seconds, as Slack recommends


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


class RequestCheck:
    """Signature, timestamp and replay checks on one request (no payload parsing here)."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.clock = clock
        self._seen: dict[str, float] = {}
        """signature -> when the request stops being valid (a replay before then is refused)"""
        self._lock = threading.Lock()

    def check(self, body: bytes, timestamp: str | None, signature: str | None) -> None:
        if not timestamp or not signature:
            raise Refused(401, "no Slack signature or timestamp")
        try:
            sent = int(timestamp)
        except ValueError:
            raise Refused(401, "the timestamp is not a number") from None
        now = self.clock()
        if abs(now - sent) > MAX_SKEW:
            raise Refused(401, f"the timestamp is {abs(now - sent):.0f}s off (more than "
                          f"{MAX_SKEW}s: stale, or this host's clock is wrong)")
        if not self.verifier.is_valid(body, timestamp, signature):
            raise Refused(401, "the signature does not match (wrong SLACK_SIGNING_SECRET?)")
        with self._lock:
            for old in [k for k, until in self._seen.items() if until < now]:
                del self._seen[old]
            if signature in self._seen:
                raise Refused(401, "the same signed request came before (a replay)")
            # valid until MAX_SKEW after its own timestamp, which may be ahead of ours
            self._seen[signature] = max(now, sent) + MAX_SKEW


@dataclass
class Outcome:
    recorded: list[Mark]
    notes: list[tuple[Click, str]]
    """(click, text) for a note only that officer sees"""


class Marker:
    """Turns verified clicks into marks: look up, write, then (after answering) edit."""

    def __init__(self, ledger: Ledger, book: FeedbackBook, writer: MarkWriter, sink: Sink, *,
                 ledger_reader: LedgerReader | None = None,
                 book_reader: FeedbackReader | None = None, team_id: str | None = None) -> None:
        self.ledger = ledger
        self.book = book
        self.writer = writer
        self.sink = sink
        self.ledger_reader = ledger_reader
        self.book_reader = book_reader
        self.team_id = team_id
        self._read = threading.Lock()  # the readers, and the ledger and book they fill
        self._edits: dict[tuple[str, str], threading.Lock] = {}

    def _find(self, alert_id: str) -> Entry | None:
        with self._read:
            entry = self.ledger.get(alert_id)
            tries = 0
            while entry is None and self.ledger_reader is not None and tries < 3:
                self.ledger_reader.poll(timeout_ms=150 * tries)  # it may be just posted
                entry = self.ledger.get(alert_id)
                tries += 1
            if self.book_reader is not None:
                self.book_reader.poll()
            return entry

    def handle(self, clicks: list[Click]) -> Outcome:
        out = Outcome([], [])
        for click in clicks:
            if self.team_id and click.team and click.team != self.team_id:
                log.warning("click %s by %s of workspace %s: not this workspace (%s); nothing "
                            "recorded", click.value.action, click.user, click.team,
                            self.team_id)
                out.notes.append((click, "Only members of this workspace can mark its "
                                  "alerts; nothing recorded."))
                continue
            entry = self._find(click.value.alert_id)
            if entry is None or entry.route == "digest":
                log.warning("click %s by %s on alert %s: not in the alert ledger; nothing "
                            "recorded", click.value.action, click.user, click.value.alert_id)
                out.notes.append((click, "newswatch does not know this alert (its ledger "
                                  "record is gone or was never written); nothing recorded."))
                continue
            root = self.ledger.get(entry.duplicate_of or "") if entry.duplicate_of else None
            mark = build_mark(click, entry, root, utcnow())
            try:
                self.writer.write(mark)
            except FeedbackError as err:
                log.warning("click %s by %s on alert %s not recorded: %s", mark.action,
                            mark.user, mark.alert_id, err)
                out.notes.append((click, "Your mark could not be recorded (newswatch could "
                                  "not reach Kafka). Please click again."))
                continue
            with self._read:
                self.book.apply(mark)
            out.recorded.append(mark)
        return out

    def after(self, outcome: Outcome) -> None:
        """Off the request path: edit each marked message, send each note."""
        for mark in outcome.recorded:
            try:
                self._show(mark)
            except DeliveryError as err:
                log.warning("alert %s: its marks line was not updated (%s: %s)",
                            mark.alert_id, err.code, err)
        for click, text in outcome.notes:
            if not click.channel:
                continue
            try:
                self.sink.post_ephemeral(click.channel, click.user, text)
            except DeliveryError as err:
                log.warning("note to %s not sent (%s)", click.user, err)

    def _show(self, mark: Mark) -> None:
        """Edit the message the mark is on. One edit per message at a time, its line made
        inside, so two clicks at once cannot leave the older line last."""
        with self._read:
            entry = self.ledger.get(mark.alert_id)
            digest = self.ledger.get(entry.digest_id or "") if entry and entry.digest_id \
                else None
        if entry is None:
            return
        target = digest if digest is not None and digest.ts else entry
        if not target.ts:
            return
        with self._read:
            lock = self._edits.setdefault((target.channel, target.ts), threading.Lock())
        with lock:
            with self._read:
                ids = ([m.alert_id for m in self.ledger.members(target.alert_id)]
                       if target is digest else [entry.alert_id])
                line = self.book.line_for(ids)
            self.sink.update_marks(target.channel, target.ts, line,
                                   thread_ts=None if target is digest else entry.thread_ts)


def make_app(check: RequestCheck, marker: Marker, *, max_body: int) -> Starlette:
    async def actions(request: Request) -> Response:
        peer = request.client.host if request.client else "?"
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > max_body:
            log.warning("refused a %d-byte request from %s: larger than %d", length, peer,
                        max_body)
            return PlainTextResponse("request too large", status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                log.warning("refused a request from %s: body larger than %d", peer, max_body)
                return PlainTextResponse("request too large", status_code=413)
        try:
            check.check(bytes(body), request.headers.get("x-slack-request-timestamp"),
                        request.headers.get("x-slack-signature"))
        except Refused as refused:
            log.warning("refused a request from %s: %s", peer, refused.reason)
            return PlainTextResponse("refused", status_code=refused.status)
        try:
            clicks = clicks_of(payload_of(bytes(body)))
        except FeedbackError as err:
            log.warning("refused a signed request from %s: %s", peer, err)
            return PlainTextResponse("malformed payload", status_code=400)
        outcome = await run_in_threadpool(marker.handle, clicks)
        return Response(status_code=200, background=BackgroundTask(marker.after, outcome))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(PATH, actions, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])


class FeedbackServer:
    """The endpoint with everything it needs, started and stopped as one (CLI and tests)."""

    def __init__(self, settings: Settings, *, sink: Sink | None = None,
                 writer: MarkWriter | None = None, host: str = "127.0.0.1",
                 port: int | None = None) -> None:
        secret = settings.slack_signing_secret
        if secret is None or not secret.get_secret_value().strip():
            raise ConfigError("SLACK_SIGNING_SECRET is not set", fix="copy the signing "
                              "secret from the Slack app's Basic Information page")
        if sink is None:
            sink = make_sink(settings, load_from_settings(settings).delivery)
        if not sink.supports_updates:
            raise ConfigError(f"marks need the Slack Web API target, not {sink.name}",
                              fix="set SLACK_BOT_TOKEN (the same token the alerter uses)")
        self.sink = sink
        port = settings.feedback_port if port is None else port
        try:
            self.socket = socket.create_server((host, port))
        except OSError as exc:
            sink.close()
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              fix="choose another --port (or NEWSWATCH_FEEDBACK_PORT)") from None
        topics = Topics.from_settings(settings)
        self.ledger, self.book = Ledger(), FeedbackBook()
        self._opened: list = [self.socket, sink]
        try:
            try:
                team = sink.team_id()
            except DeliveryError as err:
                raise ConfigError(f"Slack refused the bot token: {err}",
                                  fix=err.fix or "check SLACK_BOT_TOKEN") from None
            self.ledger_reader = self._open(LedgerReader(settings, topics.alerts, self.ledger))
            self.book_reader = self._open(FeedbackReader(settings, self.book))
            self.ledger_reader.catch_up()
            self.book_reader.catch_up()
            self.writer = self._open(writer or MarkWriter(
                make_producer(settings, max_block_ms=1000), topics.feedback))
        except BaseException:
            self.close()
            raise
        self.marker = Marker(self.ledger, self.book, self.writer, sink,
                             ledger_reader=self.ledger_reader, book_reader=self.book_reader,
                             team_id=team)
        self.app = make_app(RequestCheck(secret.get_secret_value()), self.marker,
                            max_body=settings.feedback_max_body_kb * 1024)
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning",
                                                    access_log=False, lifespan="off"))

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}{PATH}"

    def run(self, stop: threading.Event | None = None) -> None:
        """Serve until `stop` is set (or Ctrl-C in the main thread); then close it all."""
        if stop is not None:
            threading.Thread(target=lambda: (stop.wait(), setattr(self.server, "should_exit",
                                                                  True)), daemon=True).start()
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.close()

    def _open(self, thing):
        self._opened.append(thing)
        return thing

    def close(self) -> None:
        for thing in reversed(self._opened):
            thing.close()
        self._opened = []
