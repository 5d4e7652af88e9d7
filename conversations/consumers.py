"""The WebSocket at /ws/: thin. It parses and validates a frame, calls the same actions as the
REST API, and answers with an ack or an error frame. A bad frame never closes the socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY

from backend import metrics
from backend.accounts import sessions
from backend.accounts.psc.tokens import PSC_SESSION
from backend.api import parsers as bounded_json
from backend.errors import DomainError
from backend.observability import client_ip_var, new_request_id, request_id_var
from backend.ws_daphne import forget_handshake
from conversations import events, fastpath, frames, hub, liveness, presence
from conversations.calls import signalling as ws_calls
from conversations.serializers import FrameForm, FrameSerializer, validate_frame
from conversations.ws_dispatch import HANDLERS, FrameError, TokenBucket
from conversations.ws_handlers import conversation_members

__all__ = ["HANDLERS", "ChatConsumer"]

logger = logging.getLogger(__name__)
MEMBERSHIP_TTL = 60.0
# message.send checks the session in its own trip to the database (ws_handlers); a ping is
# covered by the liveness loop's check of every socket each period (liveness.py).
CHECK_SESSION_ITSELF = frozenset({"message.send", "ping"})


class ChatConsumer(AsyncWebsocketConsumer):
    user: Any = None
    session_key: str | None = None
    session_group = ""
    ended = False
    group = ""  # the user's group, once joined
    busy = False  # handling a message: what the hub hands meanwhile waits in `pending`
    pending: list[dict[str, Any]] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """As Channels' AsyncConsumer, without a channel-layer channel of its own, nor its two
        receive tasks and its queue: the process's hub (hub.py) receives for every socket and
        hands this one its messages (`take`). Messages are handled one at a time, as there."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer()
        self.hub = hub.of_this_loop()
        self.channel_name = await self.hub.name()
        try:
            while True:
                await self._in_turn(self.dispatch, await receive())
        except StopConsumer:
            pass
        finally:
            self._leave_hub()

    async def take(self, message: dict[str, Any]) -> None:
        """A message from the hub. Handled now, or after the message in hand (the hub hands it
        out from its own task)."""
        if self.busy:
            if self.pending is None:
                self.pending = []
            self.pending.append(message)
            return
        await self._in_turn(self._hub_message, message)

    async def _in_turn(
        self, handler: Callable[[dict[str, Any]], Awaitable[None]], message: dict[str, Any]
    ) -> None:
        """`handler(message)`, then what the hub handed meanwhile."""
        self.busy = True
        try:
            await handler(message)
            while self.pending:
                await self._hub_message(self.pending.pop(0))
            self.pending = None
        finally:
            self.busy = False

    async def _hub_message(self, message: dict[str, Any]) -> None:
        try:
            await self.dispatch(message)
        except Exception:
            # As a layer message's failure in a Channels consumer, minus the closed socket.
            logger.exception("channel-layer message failed", extra={"event": message["type"]})

    def _leave_hub(self) -> None:
        self.hub.remove(self)
        if self.group:
            self.hub.leave(self.group, self)
            self.group = ""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' own, without its `aclose_old_connections()` before every handler (a
        worker-thread trip per frame and per delivery, issue #21): this consumer touches the
        database only through `database_sync_to_async` and the message path's own trip, which
        look after the connections themselves."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- lifecycle -------------------------------------------------------------------------
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or getattr(user, "is_service", False):
            await self.close(code=4401)
            return
        session = self.scope.get("session")
        strong = session and (session.get(DEVICE_ID_SESSION_KEY) or session.get(PSC_SESSION))
        if settings.OTP_REQUIRED and not strong:
            await self.close(code=4403)
            return
        # The session this socket lives by: every frame checks it still does (sessions.py).
        self.session_key = session.session_key if session else None
        self.auth_at = session.get(sessions.AUTH_AT) if session else None
        self.ended = False
        if not await self._session_alive():
            await self.close(code=sessions.CLOSE_SESSION_ENDED)
            return
        self.user = user
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST)
        self.typing_sent: dict[str, float] = {}
        self.members: dict[str, tuple[float, set[str]]] = {}
        # Made at the first delayed job: most sockets never have one (an empty set is 216 B).
        self.timers: set[asyncio.Task[Any]] | None = None
        self.last_heard = time.monotonic()
        self.hub.add(self)
        self.group = events.user_group(user.pk)
        await self.hub.join(self.group, self)
        if self.session_key:
            # The session's name in `session.end` events (sent to the user group, sessions.py).
            self.session_group = sessions.session_group(self.session_key)
        await self.accept()
        forget_handshake(self.scope, self.base_send)
        liveness.of_this_loop().add(self)
        metrics.gauge_add("liaison_ws_connections", 1)
        before, after = await database_sync_to_async(presence.connect)(user.pk, self.channel_name)
        contacts, states = await database_sync_to_async(self._contacts_and_states)()
        await self.send_frame(frames.hello(user.pk, states))
        if before != after:
            await self.broadcast_presence(contacts, after)

    def _contacts_and_states(self) -> tuple[set[str], dict[str, str]]:
        contacts = presence.contacts_of(self.user.pk)
        return contacts, presence.status_of(contacts)

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        liveness.of_this_loop().remove(self)
        self._leave_hub()
        for timer in list(self.timers or ()):
            timer.cancel()
        metrics.gauge_add("liaison_ws_connections", -1)
        try:
            await ws_calls.leave_calls_of_channel(self.channel_name)  # a dropped socket hangs up
        except Exception:
            logger.exception("leaving calls on disconnect failed", extra={"event": "call.hangup"})
        before, after = await database_sync_to_async(presence.disconnect)(
            self.user.pk, self.channel_name
        )
        if before != after:
            contacts = await database_sync_to_async(presence.contacts_of)(self.user.pk)
            await self.broadcast_presence(contacts, after)

    def run_later(self, delay: float, job: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Runs `job(*args)` after `delay` seconds unless the socket closes first."""

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await job(*args)
            except Exception:
                logger.exception("delayed job failed", extra={"event": "ws.later"})

        task = asyncio.create_task(later())
        if self.timers is None:
            self.timers = set()
        self.timers.add(task)
        task.add_done_callback(self.timers.discard)

    @property
    def user_id(self) -> Any:
        return self.user.pk

    async def drop_silent_client(self) -> None:
        """Nothing heard (not even a ping): the client is gone without closing. Its contacts see
        it offline now; the close itself may take long on a dead network."""
        with contextlib.suppress(Exception):
            before, after = await database_sync_to_async(presence.disconnect)(
                self.user.pk, self.channel_name
            )
            if before != after:
                contacts = await database_sync_to_async(presence.contacts_of)(self.user.pk)
                await self.broadcast_presence(contacts, after)
        await self.close(code=4408)

    # --- frames in -------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_heard = time.monotonic()
        request_id_var.set(new_request_id())
        client = self.scope.get("client") or [None]
        client_ip_var.set(client[0])
        frame_type = "invalid"
        if self.ended:
            metrics.inc("liaison_ws_frames_total", type="refused", outcome="session_ended")
            return
        self.session_checked = False
        try:
            frame, ref = self._parse(text_data, bytes_data)
            frame_type = frame["type"]
            # Every frame but those of CHECK_SESSION_ITSELF, and every error answer, is
            # preceded by the check.
            if frame_type not in CHECK_SESSION_ITSELF and not await self.check_session():
                return
            handler = HANDLERS.get(frame_type)
            if handler is None:
                raise DomainError("unknown_type", f"Type de message inconnu : {frame_type[:40]}.")
            await handler(self, frame, ref)
            metrics.inc("liaison_ws_frames_total", type=frame_type, outcome="ok")
        except (DomainError, FrameError) as exc:
            if not await self.check_session():
                return
            error, ref = (exc.error, exc.ref) if isinstance(exc, FrameError) else (exc, None)
            metrics.inc("liaison_ws_frames_total", type=frame_type, outcome=error.code)
            await self.send_frame(frames.error(error.code, error.message, ref, error.fields))
        except Exception:
            logger.exception("websocket frame failed", extra={"event": frame_type})
            if not await self.check_session():
                return
            metrics.inc("liaison_ws_frames_total", type=frame_type, outcome="server_error")
            await self.send_frame(
                frames.error("server_error", "Erreur interne : réessayez dans un instant.")
            )

    async def check_session(self) -> bool:
        """The session is over (logout, password change, deactivation...): nothing this socket
        sends is acted upon, whatever the close event did or did not reach this process; a
        socket already told so gets no answer at all."""
        if self.session_checked:
            return True
        if await self._session_alive():
            self.session_checked = True
            return True
        await self.session_over()
        return False

    async def session_over(self) -> None:
        metrics.inc("liaison_ws_frames_total", type="refused", outcome="session_ended")
        if not self.ended:
            await self.end_socket(sessions.ENDED)

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> tuple[dict[str, Any], Any]:
        if text_data is None:
            raise DomainError("bad_frame", "Seuls les messages texte JSON sont acceptés.")
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.WS_MAX_FRAME_BYTES:
            raise DomainError("frame_too_large", "Message trop volumineux.")
        if not self.bucket.take():
            raise DomainError("rate_limited", "Trop de messages envoyés : ralentissez.")
        try:
            frame = bounded_json.loads(text_data)
        except bounded_json.UnsafeJSON as exc:  # invalid, absurdly deep, or a > 64-bit integer
            raise DomainError(
                "bad_json", str(exc) or "Le message n'est pas un JSON valide."
            ) from exc
        if not isinstance(frame, dict):
            raise DomainError("bad_frame", "Le message doit être un objet JSON avec un « type ».")
        plain, ref = fastpath.header(frame)
        if plain:
            return frame, ref
        try:
            header = validate_frame(
                FrameSerializer,
                {"type": frame.get("type"), "ref": frame.get("ref")},
                "bad_frame",
                "Le message doit avoir un « type » texte.",
            )
        except DomainError as exc:
            ref = frame["ref"] if isinstance(frame.get("ref"), str) else None
            raise FrameError(exc, ref) from exc
        return frame, header.get("ref")

    def validated(self, form_class: FrameForm, frame: dict[str, Any], ref: Any) -> dict[str, Any]:
        try:
            return dict(
                validate_frame(form_class, frame, "invalid", "Message incomplet ou invalide.")
            )
        except DomainError as exc:
            raise FrameError(exc, ref) from exc

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        await self.send(text_data=events.encode(frame))

    async def _session_alive(self) -> bool:
        user = self.scope.get("user")
        return await database_sync_to_async(sessions.session_is_alive)(
            self.session_key, getattr(user, "pk", None), self.auth_at
        )

    async def end_socket(self, reason: str) -> None:
        """Tell the client why (a `session.ended` frame), then close with CLOSE_SESSION_ENDED
        and the reason; nothing is delivered afterwards."""
        if self.ended:
            return
        message = sessions.REASONS.get(reason, sessions.REASONS[sessions.ENDED])
        await self.send_frame(frames.session_ended(reason, message))
        self.ended = True
        await self.close(code=sessions.CLOSE_SESSION_ENDED, reason=reason)

    async def session_end(self, event: dict[str, Any]) -> None:
        """Channel-layer event from sessions.py: this socket's session is over."""
        group = getattr(self, "session_group", None)
        if event.get("only") and event.get("only") != group:
            return  # another browser session of this user signed out
        if event.get("keep") and event.get("keep") == group:
            return  # the session that changed the password stays signed in
        if event.get("renewed") and event.get("renewed") == group:
            # The same browser session under a new key: the client reconnects with it.
            self.ended = True
            await self.close(code=sessions.CLOSE_SESSION_RENEWED)
            return
        await self.end_socket(str(event.get("reason") or sessions.ENDED))

    # --- frames out ------------------------------------------------------------------------
    async def deliver(self, event: dict[str, Any]) -> None:
        if self.ended:
            return
        text = event.get("text")  # serialised once by events._dispatch for every recipient
        frame = event.get("frame") or {}
        # The socket that sent a message already has it in its message.ack (calls: their ack).
        kind = str(event.get("kind") or frame.get("type", ""))
        if event.get("origin") == self.channel_name and (
            kind == "message.new" or kind.startswith("call.")
        ):
            return
        if kind.startswith("conversation."):
            # Who takes part changed: the typing relay asks the database again, so someone
            # removed gets no more typing frames from this socket.
            key = event.get("conversation") or _conversation_key(frame)
            self.members.pop(str(key), None)
        if text is not None:
            await self.send(text_data=text)
        else:
            await self.send_frame(frame)

    async def layer_reconnected(self, event: dict[str, Any]) -> None:
        """From backend.channel_layer: this process's Redis subscription came back, and what was
        published meanwhile never reached this socket. The client catches up by its cursors."""
        if not self.ended:
            await self.send_frame(frames.resync())

    async def broadcast_presence(self, user_ids: set[str], status: str) -> None:
        frame = frames.presence(self.user.pk, cast(frames.PresenceStatus, status))
        try:
            for user_id in user_ids:
                await self.channel_layer.group_send(
                    events.user_group(user_id), {"type": "deliver", "frame": frame}
                )
        except Exception:
            # Best effort, like every fan-out (events.py): Redis away must not close this socket
            # (1011) in the middle of its connect; contacts learn the state at their next query.
            logger.exception("presence fan-out failed", extra={"event": "presence"})

    async def members_of(self, conversation: str, ref: Any) -> set[str]:
        cached = self.members.get(conversation)
        if cached and time.monotonic() - cached[0] < MEMBERSHIP_TTL:
            return cached[1]
        members = await conversation_members(self.user, conversation, ref)
        self.members[conversation] = (time.monotonic(), members)
        return members


def _conversation_key(frame: Mapping[str, Any]) -> Any:
    conversation = frame.get("conversation")
    return conversation.get("id") if isinstance(conversation, dict) else conversation
