"""The smoke test of the running compose stack (deploy/test/run.sh), as a client would see it:
through nginx over TLS, trusting only the run's test CA.

    smoke.py full --stack DIR --users users.json --state state.json
        /healthz through nginx, /readyz on each daphne (nginx hides it: 404); sign-in with
        password + TOTP; two users on sockets held by different daphne containers exchange
        messages and an attachment; a synthesis rendered by the worker container, downloaded;
        a TURN allocation and relay with turnutils_uclient and the platform's REST credentials
        (and a refusal with a wrong one); the daphne holding one user's socket killed (SIGKILL)
        mid-conversation: both clients go on through nginx, nothing lost or doubled; the app
        containers run as uid 10001 on a read-only root filesystem. Writes what it stored.
    smoke.py restored --stack DIR --users users.json --state state.json
        after the restore into a fresh stack: the same messages, attachment and synthesis bytes,
        and the restored stack takes new messages.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from deploy.test import smoke_client
from deploy.test.hoststack import HOST, PORTS
from deploy.test.smoke_client import (
    APP_UID,
    BASE,
    DAPHNES,
    WS_URL,
    Session,
    Stack,
    all_messages,
    direct,
    download,
    log,
    placement,
    sign_in,
    sockets_on,
    upload,
)
from tests.reliability.resend_client import (
    Outbox,
    deliver_all,
    next_of,
    open_socket,
    sync_after,
)

PER_USER, KILL_AT = 60, 20


def check_health(context: ssl.SSLContext) -> None:
    session = Session(context)
    assert session.json("GET", "/healthz") == {"status": "ok"}
    status, _, _ = session.request("GET", "/readyz")
    assert status == 404, "nginx must not expose /readyz"
    for daphne in DAPHNES:
        status, text = direct("/readyz", daphne)
        assert status == 200, (daphne, text)
        ready = json.loads(text)
        assert ready["status"] == "ok", text
        assert ready["checks"] == {"database": "ok", "channel_layer": "ok"}, text
    # TLS >= 1.2 with the test CA's certificate for localhost.
    with context.wrap_socket(
        socket.create_connection((HOST, PORTS["nginx-https"])), server_hostname="localhost"
    ) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3"), tls.version()
    # The web client: its index from daphne, its bundles from nginx's static volume (written by
    # the `static` job as the app user: nginx's own user must be able to read them).
    status, index, _ = session.request("GET", "/")
    assert status == 200 and b"<html" in index.lower(), status
    assets = re.findall(rb'(/static/assets/[^"]+\.js)"', index)
    assert assets, index[:500]
    for asset in assets:
        status, body, _ = session.request("GET", asset.decode())
        assert status == 200 and body, (asset, status)
    log(
        "healthz through nginx ok; readyz ok on web-1 and web-2 (database, channel layer), "
        f"nginx answers 404 for it; the client and its {len(assets)} bundle(s) served"
    )


async def open_on_different_daphnes(cookies: dict[str, str]) -> dict[str, Any]:
    """Opens one socket per user through nginx and checks, from each daphne's own metrics,
    that they are held by different containers (retrying the second socket if needed)."""
    before = placement()
    gp = await open_socket(WS_URL, BASE, cookies["gp"])
    after_gp = placement()
    gp_daphne = next(n for n in DAPHNES if after_gp[n] == before[n] + 1)
    for _ in range(6):
        cardio = await open_socket(WS_URL, BASE, cookies["cardio"])
        after = placement()
        cardio_daphne = next(n for n in DAPHNES if after[n] == after_gp[n] + 1)
        if cardio_daphne != gp_daphne:
            log(f"sockets: dr.martin on {gp_daphne}, dr.bernard on {cardio_daphne} ({after})")
            return {
                "gp": gp,
                "cardio": cardio,
                "gp_daphne": gp_daphne,
                "cardio_daphne": cardio_daphne,
            }
        await cardio.close()
        await asyncio.sleep(0.5)
    raise AssertionError("nginx never put the two sockets on different daphne containers")


async def exchange(sockets: dict[str, Any], conversation: str, attachment: str) -> None:
    gp, cardio = sockets["gp"], sockets["cardio"]
    client_id = f"smoke-{uuid.uuid4().hex}"
    await gp.send(
        json.dumps(
            {
                "type": "message.send",
                "conversation": conversation,
                "client_id": client_id,
                "body": "Bonjour, voici le bilan (pièce jointe).",
                "attachments": [attachment],
            }
        )
    )
    ack = await next_of(gp, "message.ack", client_id=client_id)
    new = await next_of(cardio, "message.new")
    assert (
        new["message"]["client_id"] == client_id and new["message"]["seq"] == ack["message"]["seq"]
    )
    assert [a["id"] for a in new["message"]["attachments"]] == [attachment], new
    reply_id = f"smoke-{uuid.uuid4().hex}"
    await cardio.send(
        json.dumps(
            {
                "type": "message.send",
                "conversation": conversation,
                "client_id": reply_id,
                "body": "Bien reçu, je regarde.",
            }
        )
    )
    await next_of(cardio, "message.ack", client_id=reply_id)
    answer = await next_of(gp, "message.new")
    assert answer["message"]["client_id"] == reply_id, answer
    log("messages exchanged between the two daphne containers (with an attachment)")


def synthesis(stack: Stack, session: Session, conversation: str) -> dict[str, str]:
    export = session.json("POST", f"/api/conversations/{conversation}/synthesis", {}, 202)["export"]
    deadline = time.monotonic() + 120
    while export["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        export = session.json("GET", f"/api/exports/{export['id']}")
    assert export["status"] == "done", export
    status, pdf, _ = session.request("GET", export["download"])
    assert status == 200 and pdf.startswith(b"%PDF-"), (status, pdf[:20])
    worker_log = stack.logs("worker")
    assert re.search(r"render_synthesis\[[0-9a-f-]+\] succeeded", worker_log), worker_log[-2000:]
    for daphne in DAPHNES:  # rendered by the worker, not eagerly in a web process
        assert "render_synthesis" not in stack.logs(daphne)
    log(f"synthesis rendered by the worker container, downloaded ({len(pdf)} bytes of PDF)")
    return {
        "id": export["id"],
        "download": export["download"],
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }


def turn(stack: Stack, session: Session) -> None:
    servers = session.json("GET", "/api/calls/ice-servers")["ice_servers"]
    relay = next(s for s in servers if any(u.startswith("turn:") for u in s["urls"]))
    image = stack.inspect("coturn")["Config"]["Image"]
    peer_port = str(PORTS["turn"] + 2)
    label = [
        "--label",
        f"com.docker.compose.project={os.environ.get('COMPOSE_PROJECT_NAME', 'liaison-test')}",
    ]
    peer = stack.run(
        "/usr/bin/docker",
        "run",
        "-d",
        "--rm",
        "--network",
        "host",
        *label,
        image,
        "turnutils_peer",
        "-L",
        HOST,
        "-p",
        peer_port,
    ).stdout.strip()
    try:

        def uclient(password: str) -> subprocess.CompletedProcess[str]:
            return stack.run(
                "/usr/bin/docker",
                "run",
                "--rm",
                "--network",
                "host",
                *label,
                image,
                "turnutils_uclient",
                "-u",
                relay["username"],
                "-w",
                password,
                "-p",
                str(PORTS["turn"]),
                "-e",
                HOST,
                "-r",
                peer_port,
                "-n",
                "20",
                "-m",
                "1",
                "-c",
                HOST,
                check=False,
            )

        good = uclient(relay["credential"])
        output = good.stdout + good.stderr
        totals = re.search(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", output)
        assert totals, output[-3000:]
        sent, received = int(totals.group(1)), int(totals.group(2))
        assert sent > 0 and received == sent, output[-3000:]
        bad = uclient(base64.b64encode(b"not-the-credential-000000").decode())
        bad_output = bad.stdout + bad.stderr
        assert not re.search(r"tot_recv_msgs=[1-9]", bad_output), bad_output[-2000:]
        assert bad.returncode != 0 or "401" in bad_output, bad_output[-2000:]
    finally:
        stack.run("/usr/bin/docker", "rm", "-f", peer, check=False)
    log(
        f"TURN: allocation with the platform's REST credential relayed {received}/{sent}"
        " messages through coturn; a wrong credential is refused"
    )


async def failover(
    stack: Stack, sockets: dict[str, Any], cookies: dict[str, str], conversation: str
) -> None:
    """Both users send PER_USER messages with the web client's outbox; the daphne holding
    dr.martin's socket is SIGKILLed after KILL_AT acks. Through nginx, his client reconnects
    (to the other daphne), resends what was not acknowledged, and nothing is lost or doubled."""
    sent = {
        who: [
            (f"{who}-{i:03d}-{uuid.uuid4().hex[:8]}", f"{who} message n°{i} é")
            for i in range(PER_USER)
        ]
        for who in ("gp", "cardio")
    }
    outboxes = {who: Outbox(conversation) for who in sent}
    for who, messages in sent.items():
        for client_id, body in messages:
            outboxes[who].add(client_id, body)
    victim = sockets["gp_daphne"]
    killed = asyncio.Event()

    def on_ack(acked: int) -> None:
        if acked == KILL_AT:
            killed.set()

    outboxes["gp"].on_ack = on_ack

    async def kill() -> None:
        await killed.wait()
        container = stack.container(victim)
        await asyncio.to_thread(stack.run, "/usr/bin/docker", "kill", "--signal", "KILL", container)
        log(f"killed {victim} (SIGKILL) after {KILL_AT} acknowledged messages of dr.martin")

    killer = asyncio.create_task(kill())
    outboxes["gp"].connections = outboxes["cardio"].connections = 1
    finals = await asyncio.wait_for(
        asyncio.gather(
            deliver_all(
                WS_URL, BASE, cookies["gp"], outboxes["gp"], window=8, socket=sockets["gp"]
            ),
            deliver_all(
                WS_URL,
                BASE,
                cookies["cardio"],
                outboxes["cardio"],
                window=8,
                socket=sockets["cardio"],
            ),
        ),
        timeout=180,
    )
    await killer
    sockets["gp"], sockets["cardio"] = finals
    assert outboxes["gp"].connections >= 2, "dr.martin's daphne was killed: he had to reconnect"
    assert outboxes["cardio"].connections == 1, "dr.bernard's daphne was not touched"
    for outbox in outboxes.values():
        assert not outbox.pending, outbox.pending
        assert not [e for e in outbox.errors if e["code"] == "server_error"], outbox.errors
    survivor = next(n for n in DAPHNES if n != victim)
    assert sockets_on(survivor) == 2, "both sockets are now on the surviving daphne"
    histories = [await sync_after(sockets[who], conversation, 0) for who in ("gp", "cardio")]
    rows = [(m["seq"], m["client_id"], m["body"]) for m in histories[0]]
    assert rows == [(m["seq"], m["client_id"], m["body"]) for m in histories[1]]
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1)), "seq is gapless"
    bodies = {c: b for messages in sent.values() for c, b in messages}
    stored = [c for _, c, _ in rows if c in bodies]
    assert sorted(stored) == sorted(bodies), "each message stored exactly once"
    assert all(bodies[c] == b for _, c, b in rows if c in bodies), "every body intact"
    log(
        f"failover: {2 * PER_USER} messages, dr.martin reconnected {outboxes['gp'].connections - 1}"
        f" time(s) through nginx to {survivor}; {len(rows)} messages, gapless, none lost or doubled"
    )


def hardening(stack: Stack, survivor: str) -> None:
    for service in ("web-1", "web-2", "worker", "beat", "migrate", "static"):
        info = stack.inspect(service)
        assert (
            info["Config"]["User"] == f"{APP_UID}:{APP_UID}" or info["Config"]["User"] == APP_UID
        ), info["Config"]["User"]
        assert info["HostConfig"]["ReadonlyRootfs"] is True, service
        assert info["HostConfig"]["CapDrop"] == ["ALL"], service
        assert info["HostConfig"]["NetworkMode"] == "host", service
    container = stack.container(survivor)
    uid = stack.run("/usr/bin/docker", "exec", container, "id", "-u").stdout.strip()
    assert uid == APP_UID, uid
    write = stack.run(
        "/usr/bin/docker", "exec", container, "sh", "-c", "echo x > /app/probe", check=False
    )
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write
    tmp = stack.run(
        "/usr/bin/docker",
        "exec",
        container,
        "sh",
        "-c",
        "echo x > /tmp/probe && rm /tmp/probe",
        check=False,
    )
    assert tmp.returncode == 0, tmp.stderr
    log(
        f"app containers run as uid {APP_UID}, read-only root (writing /app refused), "
        "only the tmpfs writable, no capability"
    )


async def full(
    stack: Stack, users: dict[str, Any], state_file: Path, context: ssl.SSLContext
) -> None:
    check_health(context)
    sessions = {
        "gp": sign_in(context, "dr.martin", users["dr.martin"]),
        "cardio": sign_in(context, "dr.bernard", users["dr.bernard"]),
    }
    log("signed in through nginx (password + TOTP), production settings")
    conversation = sessions["gp"].json(
        "POST",
        "/api/conversations",
        {"participants": [sessions["cardio"].user_id], "title": "Avis deploy-test"},
        201,
    )["id"]
    attachment, content = upload(sessions["gp"])
    cookies = {who: s.cookies["sessionid"] for who, s in sessions.items()}
    sockets = await open_on_different_daphnes(cookies)
    await exchange(sockets, conversation, attachment)
    assert (
        download(sessions["cardio"], f"/api/attachments/{attachment}/download")
        == hashlib.sha256(content).hexdigest()
    )
    export = synthesis(stack, sessions["gp"], conversation)
    turn(stack, sessions["gp"])
    await failover(stack, sockets, cookies, conversation)
    survivor = next(n for n in DAPHNES if n != sockets["gp_daphne"])
    hardening(stack, survivor)
    for client in (sockets["gp"], sockets["cardio"]):
        await client.close()
    rows = all_messages(sessions["gp"], conversation)
    state_file.write_text(
        json.dumps(
            {
                "conversation": conversation,
                "messages": rows,
                "attachment": {"id": attachment, "sha256": hashlib.sha256(content).hexdigest()},
                "export": export,
            }
        )
    )
    log(f"stored state: {len(rows)} messages, 1 attachment, 1 synthesis")


async def restored(
    stack: Stack, users: dict[str, Any], state_file: Path, context: ssl.SSLContext
) -> None:
    state = json.loads(state_file.read_text())
    check_health(context)
    gp = sign_in(context, "dr.martin", users["dr.martin"])
    cardio = sign_in(context, "dr.bernard", users["dr.bernard"])
    conversation = state["conversation"]
    rows = all_messages(cardio, conversation)
    assert [list(row) for row in rows] == state["messages"], "conversation intact"
    assert (
        download(cardio, f"/api/attachments/{state['attachment']['id']}/download")
        == state["attachment"]["sha256"]
    )
    assert download(gp, state["export"]["download"]) == state["export"]["sha256"]
    # The restored stack works: a new message gets the next seq and reaches the other user.
    cookies = {"gp": gp.cookies["sessionid"], "cardio": cardio.cookies["sessionid"]}
    gp_socket = await open_socket(WS_URL, BASE, cookies["gp"])
    cardio_socket = await open_socket(WS_URL, BASE, cookies["cardio"])
    client_id = f"after-restore-{uuid.uuid4().hex}"
    await gp_socket.send(
        json.dumps(
            {
                "type": "message.send",
                "conversation": conversation,
                "client_id": client_id,
                "body": "Après restauration",
            }
        )
    )
    ack = await next_of(gp_socket, "message.ack", client_id=client_id)
    assert ack["message"]["seq"] == rows[-1][0] + 1, ack
    await next_of(cardio_socket, "message.new")
    await gp_socket.close()
    await cardio_socket.close()
    log(
        f"restored stack: {len(rows)} messages identical, attachment and synthesis bytes identical "
        "(media volume), new messages continue the sequence"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["full", "restored"])
    parser.add_argument("--stack", type=Path, required=True)
    parser.add_argument("--users", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    ca = args.stack / "ca" / "ca.pem"
    # Only the test CA is trusted, here and by the WebSocket client (which builds its own
    # default context: SSL_CERT_FILE is read by OpenSSL at that moment).
    os.environ["SSL_CERT_FILE"] = str(ca)
    os.environ.pop("SSL_CERT_DIR", None)
    context = ssl.create_default_context(cafile=str(ca))
    users = json.loads(args.users.read_text())
    smoke_client.METRICS_TOKEN["value"] = (args.stack / "metrics_token").read_text().strip()
    run = full if args.mode == "full" else restored
    asyncio.run(run(Stack(args.stack), users, args.state, context))
    log(f"{args.mode}: passed")


if __name__ == "__main__":
    main()
