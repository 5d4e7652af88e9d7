"""Team mailboxes in a conversation: a member's « Vu par » reaches the others live whenever the
member joined the team, and their messages carry the team's name and their role."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from backend.accounts.models import Membership
from conversations import actions
from conversations.models import Conversation
from tests.integration.test_teleexpertise_factories import make_professional
from tests.support.mssante import org_mailbox
from tests.wsclient import connect

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def conversation_with_the_team(creator: Any) -> Conversation:
    conversation, _ = actions.create_conversation(creator, users=[], mailboxes=[org_mailbox()])
    return conversation


@sync_to_async
def newcomer_in_the_team() -> Any:
    """A secretary who joins the team after the conversation started."""
    mailbox = org_mailbox()
    assert mailbox.organization is not None
    user = make_professional(
        mailbox.organization,
        username=f"sec.{uuid.uuid4().hex[:6]}",
        profession_code="",
        role=Membership.Role.SECRETARY,
    )
    mailbox.members.add(user.professional)
    return user


async def test_a_member_who_joined_later_is_seen_reading_live_with_team_and_role(personas):
    conversation = await conversation_with_the_team(personas.gp)
    gp = await connect(personas.gp)
    first = await gp.send_message(conversation.pk, "Pouvez-vous programmer une échographie ?")
    newcomer = await newcomer_in_the_team()
    secretary = await connect(newcomer)
    await secretary.send(
        {"type": "read", "conversation": str(conversation.pk), "seq": first["seq"]}
    )
    read = await gp.expect("read", conversation=str(conversation.pk))
    assert read["user"] == str(newcomer.pk) and read["seq"] == first["seq"]
    reader = read["reader"]
    assert reader["id"] == str(newcomer.pk) and reader["display_name"]
    assert reader["team"]["name"] == org_mailbox_name(await sync_to_async(org_mailbox)())
    assert reader["team"]["role"] == "Secrétariat"
    await gp.close()
    await secretary.close()


def org_mailbox_name(mailbox: Any) -> str:
    return mailbox.display_name or mailbox.address


async def test_a_members_message_names_the_team_and_their_role(personas):
    conversation = await conversation_with_the_team(personas.gp)
    gp, secretary = await connect(personas.gp), await connect(personas.secretary)
    sent = await secretary.send_message(conversation.pk, "Rendez-vous fixé au 12 à 9 h.")
    team = (await sync_to_async(org_mailbox)()).display_name
    assert sent["team"]["name"] == team and sent["team"]["role"] == "Secrétariat"
    live = await gp.expect("message.new")
    assert live["message"]["team"] == sent["team"]
    # A direct participant speaks for themself: no team on the GP's messages.
    mine = await gp.send_message(conversation.pk, "Merci.")
    assert mine["team"] is None
    page = await sync_to_async(actions_page)(personas.gp, conversation)
    assert [m["team"] for m in page] == [sent["team"], None]
    await gp.close()
    await secretary.close()


def actions_page(user: Any, conversation: Conversation) -> list[dict[str, Any]]:
    from tests.conftest import client_for

    answer = client_for(user).get(f"/api/conversations/{conversation.pk}/messages")
    assert answer.status_code == 200, answer.content
    return list(answer.json()["messages"])
