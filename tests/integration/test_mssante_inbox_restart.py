"""A fetch killed mid-way (SIGKILL of a real worker process) and restarted stores every mail
once; the IDLE wait wakes up when a mail arrives."""

from __future__ import annotations

import imaplib
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from backend.mssante.inbox.fetch import open_imap
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.inbox.samples import plain_mail
from backend.mssante.inbox.worker import idle_wait
from tests import servers
from tests.operator.operator import OP1, OP2, Operators
from tests.support.inbox import OperatorWorld, operator_world

pytestmark = [pytest.mark.operator, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COUNT = 150


@pytest.fixture
def world(personas: Any, mss_operators: Operators, settings: Any) -> OperatorWorld:
    return operator_world(personas, mss_operators, settings)


def _append(world: OperatorWorld, count: int, tag: str) -> None:
    imap = open_imap(world.team)
    try:
        for n in range(count):
            raw = plain_mail(f"dr.martin@{OP1}", f"ssiad@{OP2}", f"{tag} {n}", f"Message {n}.")
            imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    finally:
        imap.logout()


def _fetch_process(world: OperatorWorld, settings: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": servers.test_database_url(),
        "MSSANTE_CA_FILE": settings.MSSANTE_CA_FILE,
        "MSSANTE_CRL_FILE": settings.MSSANTE_CRL_FILE,
        "MSSANTE_TEST_PASSWORD": settings.MSSANTE_TEST_PASSWORD,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "mssante_fetch", "--mailbox", world.team_box.address],
        cwd=servers.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_fetch_killed_mid_way_and_restarted_stores_every_mail_once(
    world: OperatorWorld, settings: Any
) -> None:
    _append(world, COUNT, "coupure")
    mine = InboundMessage.objects.filter(mailbox=world.team_box, subject__startswith="coupure")
    worker = _fetch_process(world, settings)
    try:
        # Wait for the first stored mails (the only signal a separate process gives), then kill.
        while mine.count() < 10 and worker.poll() is None:
            time.sleep(0.05)
        worker.kill()
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    interrupted = mine.count()
    assert 10 <= interrupted < COUNT, "the worker should have been killed mid-way"
    again = _fetch_process(world, settings)
    assert again.wait(timeout=300) == 0
    assert mine.count() == COUNT
    subjects = list(mine.values_list("subject", flat=True))
    assert len(set(subjects)) == COUNT


def test_idle_wakes_up_when_a_mail_arrives(world: OperatorWorld) -> None:
    imap = open_imap(world.team)
    imap.select("INBOX", readonly=True)
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(idle_wait(imap, 120)))
    waiter.start()
    time.sleep(0.5)  # let the IDLE command reach the server before the mail does
    _append(world, 1, "réveil")
    waiter.join(timeout=130)
    imap.logout()
    assert woke == [True]
