"""The process hub (conversations/hub.py): one channel-layer channel per process, each group
joined once however many local sockets are in it, messages handed to the right sockets."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer

from conversations import events, frames, hub, liveness
from tests.wsclient import connect

pytestmark = [pytest.mark.django_db(transaction=True)]


def socket_of(user: Any) -> list[Any]:
    return [s for s in liveness.of_this_loop().sockets.values() if s.user_id == user.pk]


async def test_a_group_is_joined_once_per_process_and_left_with_its_last_socket(personas):
    first = await connect(personas.gp)
    second = await connect(personas.gp)
    the_hub = hub.of_this_loop()
    group = events.user_group(personas.gp.pk)
    assert group in the_hub.joined and len(the_hub.members(group)) == 2
    one, other = socket_of(personas.gp)
    assert one.channel_name != other.channel_name
    assert one.channel_name.startswith(the_hub.channel)

    await first.close()
    await get_channel_layer().group_send(group, {"type": "deliver", "frame": frames.resync()})
    assert (await second.expect("resync"))["type"] == "resync"
    assert group in the_hub.joined

    await second.close()
    assert group not in the_hub.groups and group not in the_hub.joined
    for task in list(the_hub.leaving):
        await task


async def test_a_send_to_a_socket_reaches_that_socket_only(personas):
    first = await connect(personas.gp)
    second = await connect(personas.gp)
    target = socket_of(personas.gp)[0]
    others = [s for s in socket_of(personas.gp) if s is not target]
    await get_channel_layer().send(
        target.channel_name, {"type": "deliver", "frame": frames.resync()}
    )
    seen = [[f["type"] for f in await tab.frames_within(0.5)] for tab in (first, second)]
    assert sorted(seen) == [[], ["resync"]]
    assert others and others[0].channel_name != target.channel_name
    await first.close()
    await second.close()


async def test_a_message_for_no_group_nor_socket_goes_to_every_socket_of_the_process(personas):
    """The `layer.reconnected` event (backend.channel_layer): every socket is told to resync."""
    gp = await connect(personas.gp)
    cardio = await connect(personas.cardiologist)
    await hub.of_this_loop().hand_out({"type": "layer.reconnected"})
    for tab in (gp, cardio):
        assert (await tab.expect("resync"))["type"] == "resync"
    await gp.close()
    await cardio.close()


async def test_a_hub_message_waits_for_the_frame_in_hand(personas):
    """As with a Channels consumer: a socket handles one message at a time."""
    gp = await connect(personas.gp)
    (consumer,) = socket_of(personas.gp)
    consumer.busy = True  # as while a frame's handler awaits the database
    await consumer.take({"type": "deliver", "frame": frames.resync()})
    assert await gp.nothing(0.3)
    consumer.busy = False
    await gp.send({"type": "ping", "ref": "p1"})
    assert (await gp.expect("pong"))["ref"] == "p1"
    assert (await gp.expect("resync"))["type"] == "resync"
    await gp.close()
