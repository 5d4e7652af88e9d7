"""Group changes reach the participants live over the socket (real ASGI application and channel
layer): someone added gets the conversation at once, a rename reaches everyone, someone removed
gets ``conversation.removed`` and from then on nothing of the conversation — not its messages,
not its typing; a per-user setting reaches that user's other devices only."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations import actions
from conversations.groups import actions as groups
from conversations.groups.preferences import set_preferences
from tests.wsclient import connect

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def a_group(personas: Any) -> Any:
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Staff"
    )
    return conversation


async def test_added_sees_it_live_rename_reaches_all_removed_gets_nothing_more(personas):
    group = await a_group(personas)
    gp, cardio, nurse = (
        await connect(personas.gp),
        await connect(personas.cardiologist),
        await connect(personas.nurse),
    )
    cid = str(group.pk)

    await sync_to_async(groups.add_participant)(personas.gp, group.pk, personas.nurse)
    new = await nurse.expect("conversation.new")
    assert new["conversation"]["id"] == cid
    assert "Julie Durand" in [
        p["user"]["display_name"]
        for p in new["conversation"]["participants"]
        if p["kind"] == "user"
    ]
    updated = await cardio.expect("conversation.updated")
    assert len(updated["conversation"]["participants"]) == 3
    # The system message « … a ajouté Julie Durand. » came just before.
    assert [f["type"] for f in nurse.seen[-2:]] == ["message.new", "conversation.new"]

    await sync_to_async(groups.rename)(personas.cardiologist, group.pk, "Staff du lundi")
    for socket in (gp, nurse):
        frame = await socket.expect("conversation.updated")
        if socket is gp:  # the GP got the addition's update first
            frame = await socket.expect("conversation.updated")
        assert frame["conversation"]["title"] == "Staff du lundi"

    # The nurse types once so that the others' sockets know her as a member (cached).
    await nurse.send({"type": "typing", "conversation": cid})
    await gp.expect("typing", conversation=cid)
    await sync_to_async(groups.remove_participant)(personas.gp, group.pk, user=personas.nurse)
    removed = await nurse.expect("conversation.removed")
    assert removed == {"type": "conversation.removed", "conversation": cid, "reason": "removed"}
    await cardio.expect("conversation.updated")
    await gp.frames_within(0.3)
    # Nothing more reaches her: not the next message, not the others' typing.
    await cardio.send({"type": "typing", "conversation": cid})
    await gp.send_message(group.pk, "Après son départ")
    await cardio.expect("message.new")
    later = await nurse.frames_within(0.5)
    assert [f for f in later if cid in str(f)] == []
    # Her own frames about it are refused.
    await nurse.send({"type": "typing", "conversation": cid, "ref": "t1"})
    error = await nurse.expect("error")
    assert error["code"] == "not_found"
    for socket in (gp, cardio, nurse):
        await socket.close()


async def test_mute_reaches_only_the_users_other_devices(personas):
    group = await a_group(personas)
    phone, desktop = await connect(personas.gp), await connect(personas.gp)
    cardio = await connect(personas.cardiologist)
    await sync_to_async(set_preferences)(personas.gp, group.pk, muted=True, pinned=True)
    for socket in (phone, desktop):
        frame = await socket.expect("conversation.updated")
        assert frame["conversation"]["muted"] is True and frame["conversation"]["pinned"] is True
    assert [
        f for f in await cardio.frames_within(0.5) if f["type"].startswith("conversation.")
    ] == []
    for socket in (phone, desktop, cardio):
        await socket.close()
