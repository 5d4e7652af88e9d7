"""Sessions that end close every socket at once (close code 4410 and the reason), and a socket
kept open by a script after its session ended is refused every frame and receives nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from backend.accounts import sessions
from backend.accounts.models import Membership
from backend.asgi import application
from conversations import actions
from conversations.models import Message
from tests.conftest import signed_in_browser

pytestmark = [pytest.mark.django_db(transaction=True)]
TIMEOUT = 5


browser_for = sync_to_async(signed_in_browser)


async def open_tab(browser: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    tab = WebsocketCommunicator(
        application, "/ws/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
    )
    connected, _ = await tab.connect(timeout=TIMEOUT)
    assert connected
    assert json.loads((await tab.receive_output(TIMEOUT))["text"])["type"] == "hello"
    return tab


async def closed_with(tab: WebsocketCommunicator) -> tuple[str, int, str]:
    """The session.ended frame's reason and the close code and reason, skipping chatter."""
    frame_reason = ""
    while True:
        output = await tab.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            return frame_reason, output["code"], output.get("reason") or ""
        frame = json.loads(output["text"])
        if frame["type"] == "session.ended":
            frame_reason = frame["reason"]
            assert frame["message"]


async def assert_ended(tab: WebsocketCommunicator, reason: str) -> None:
    assert await closed_with(tab) == (reason, sessions.CLOSE_SESSION_ENDED, reason)


async def assert_refused_and_silent(tab: WebsocketCommunicator, conversation: Any) -> None:
    """A script keeps sending on the ended socket: nothing is stored, nothing comes back."""
    await tab.send_to(
        text_data=json.dumps(
            {
                "type": "message.send",
                "conversation": str(conversation.pk),
                "client_id": "5f1d3c1e-7a4b-4e53-9d61-0b0a4e1f2c3d",
                "body": "après la fin de session",
            }
        )
    )
    assert await tab.receive_nothing(timeout=0.5)
    assert not await sync_to_async(Message.objects.filter(body="après la fin de session").exists)()


@sync_to_async
def conversation_of(*users: Any) -> Any:
    conversation, _ = actions.create_conversation(users[0], users=list(users[1:]))
    return conversation


@sync_to_async
def get(browser: Client, path: str) -> int:
    return browser.get(path).status_code


async def test_logout_in_one_tab_closes_every_tab_of_that_browser(personas):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    browser = await browser_for("dr.martin")
    phone = await browser_for("dr.martin")
    tab1, tab2, phone_tab = await open_tab(browser), await open_tab(browser), await open_tab(phone)
    answer = await sync_to_async(browser.post)("/api/auth/logout")
    assert answer.status_code == 204
    await assert_ended(tab1, sessions.LOGOUT)
    await assert_ended(tab2, sessions.LOGOUT)
    await assert_refused_and_silent(tab1, conversation)
    # The phone's own session is not this one: it stays signed in.
    assert await get(phone, "/api/me") == 200
    assert await phone_tab.receive_nothing(timeout=0.3)
    await phone_tab.disconnect()


async def test_a_socket_whose_session_ended_unnoticed_is_refused_at_its_next_frame(
    personas, monkeypatch
):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    browser = await browser_for("dr.martin")
    tab = await open_tab(browser)
    # The close event is lost (another process, a channel-layer hiccup): the frame check holds.
    monkeypatch.setattr(sessions, "_close_sockets", lambda *a, **k: None)
    assert (await sync_to_async(browser.post)("/api/auth/logout")).status_code == 204
    await tab.send_to(
        text_data=json.dumps({"type": "typing", "conversation": str(conversation.pk)})
    )
    await assert_ended(tab, sessions.ENDED)
    await assert_refused_and_silent(tab, conversation)


async def test_password_change_closes_the_other_sessions_and_keeps_this_one(personas):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    here, stolen = await browser_for("dr.martin"), await browser_for("dr.martin")
    here_tab, stolen_tab = await open_tab(here), await open_tab(stolen)
    answer = await sync_to_async(here.post)(
        "/api/auth/password",
        {"old_password": "demo1234", "new_password": "Un-nouveau-mot-2-passe"},
        content_type="application/json",
    )
    assert answer.status_code == 204, answer.content
    await assert_ended(stolen_tab, sessions.PASSWORD_CHANGED)
    await assert_refused_and_silent(stolen_tab, conversation)
    assert await get(stolen, "/api/me") == 401
    assert await get(here, "/api/me") == 200
    # This browser's socket, opened under the session key the change renewed, is told to
    # reconnect (not that its session ended: its tab stays signed in); reconnected with the new
    # cookie, it goes on working. (Before, the session.ended frame it got passed this check.)
    assert await closed_with(here_tab) == ("", sessions.CLOSE_SESSION_RENEWED, "")
    here_tab = await open_tab(here)
    query = {"type": "presence.query", "users": [], "ref": "q"}
    await here_tab.send_to(text_data=json.dumps(query))
    answer = json.loads((await here_tab.receive_output(TIMEOUT))["text"])
    while answer["type"] in {"presence", "typing"}:
        answer = json.loads((await here_tab.receive_output(TIMEOUT))["text"])
    assert answer["type"] == "presence.state" and answer["ref"] == "q"
    await here_tab.disconnect()


async def test_password_change_needs_the_old_password(personas):
    browser = await browser_for("dr.martin")
    answer = await sync_to_async(browser.post)(
        "/api/auth/password",
        {"old_password": "faux", "new_password": "Un-nouveau-mot-2-passe"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_password"
    weak = await sync_to_async(browser.post)(
        "/api/auth/password",
        {"old_password": "demo1234", "new_password": "123"},
        content_type="application/json",
    )
    assert weak.json()["error"]["code"] == "weak_password"
    assert await get(browser, "/api/me") == 200


async def test_deactivation_closes_every_socket_of_the_user(personas):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    browser = await browser_for("dr.martin")
    tab = await open_tab(browser)

    @sync_to_async
    def deactivate() -> None:  # as the admin site does: a plain save of the user
        personas.gp.is_active = False
        personas.gp.save()

    await deactivate()
    await assert_ended(tab, sessions.DEACTIVATED)
    await assert_refused_and_silent(tab, conversation)
    assert await get(browser, "/api/me") == 401


async def test_removal_from_an_organisation_closes_every_socket_of_the_user(personas):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    browser = await browser_for("dr.bernard")
    tab = await open_tab(browser)
    await sync_to_async(
        lambda: Membership.objects.filter(professional__user=personas.cardiologist).delete()
    )()
    await assert_ended(tab, sessions.MEMBERSHIP_REMOVED)
    await assert_refused_and_silent(tab, conversation)
    assert await get(browser, "/api/me") == 401
