"""Inbox fetch: 1,000 mails with attachments (100 quick) fetched over IMAP from a real test
operator (Postfix + Dovecot on loopback, STARTTLS), parsed (MIME, IHE_XDM.ZIP, CDA) and stored.

The mails (a PDF and an XDM each, about 9 kB) are appended to the box first (IMAP APPEND), then one
fetch pass is timed. Runs in a dedicated, throw-away test database (as bench_directory does).
Prints the time, mails per second, the Python heap peak (tracemalloc) and the process RSS.
"""

from __future__ import annotations

import imaplib
import resource
import shutil
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import override_settings
from django.utils import timezone

from backend import demo
from backend.accounts.models import Mailbox, Professional
from backend.mssante.identities import OID_INS_NIR, PatientIdentity
from backend.mssante.inbox.fetch import fetch_connection, open_imap
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import health_mail, pdf_bytes, sample_xdm
from backend.mssante.models import TrustedDomain
from tests.operator.operator import OP1, OP2, start_operators

PATIENT = PatientIdentity(
    ins="285037728417346",
    ins_oid=OID_INS_NIR,
    birth_name="EXEMPLE",
    first_names=("Élodie",),
    birth_date=date(1985, 3, 2),
    sex="F",
    birth_place="77284",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _append(connection_: MailboxConnection, count: int) -> int:
    pdf = pdf_bytes("Compte rendu d'hospitalisation", "Patiente EXEMPLE Élodie")
    xdm = sample_xdm(PATIENT, pdf, title="Compte rendu", type_code="11490-0")
    imap = open_imap(connection_)
    size = 0
    try:
        for n in range(count):
            raw = health_mail(
                f"dr.martin@{OP1}", f"ssiad@{OP2}", PATIENT, label=f"Compte rendu {n}",
                type_code="11490-0", text=f"Courrier {n}.", pdf=pdf, xdm=xdm,
            )  # fmt: skip
            size += len(raw)
            imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    finally:
        imap.logout()
    return size


def run(quick: bool) -> dict[str, Any]:
    count = 100 if quick else 1000
    root = Path(tempfile.mkdtemp(prefix="liaison-bench-operators-"))
    root.chmod(0o755)
    operators = start_operators(root / "ops")
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = f"bench_inbox_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with override_settings(
            MSSANTE_CA_FILE=str(operators.pki.ca_bundle),
            MSSANTE_CRL_FILE=str(operators.pki.crl),
            MSSANTE_TEST_PASSWORD=operators.password,
            CELERY_TASK_ALWAYS_EAGER=False,
        ):
            demo.seed()
            TrustedDomain.objects.create(domain=OP1, imported_at=timezone.now())
            nurse = Professional.objects.get(user__username="ide.durand")
            box = Mailbox.objects.create(
                address=f"ssiad@{OP2}", kind=Mailbox.Kind.ORGANIZATIONAL,
                organization=nurse.memberships.get().organization, responsible=nurse,
            )  # fmt: skip
            op = operators.op("op2")
            link = MailboxConnection.objects.create(
                mailbox=box, source="imap", auth="password", imap_host="127.0.0.1",
                imap_port=op.imap_port,
            )  # fmt: skip
            started = time.perf_counter()
            total = _append(link, count)
            print(f"{count} courriers déposés ({total / 1e6:.1f} Mo) en "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            rss_before = _rss_mb()
            tracemalloc.start()
            started = time.perf_counter()
            result = fetch_connection(link.pk)
            seconds = time.perf_counter() - started
            _, heap_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            stored = InboundMessage.objects.filter(mailbox=box).count()
            with_xdm = InboundMessage.objects.filter(mailbox=box).exclude(xdm={}).count()
            print(f"relève : {result.stored} courriers stockés ({with_xdm} avec XDM) en "
                  f"{seconds:.1f} s, {result.stored / seconds:.1f} courriers/s "
                  f"(sous tracemalloc){' — ' + result.error if result.error else ''}")  # fmt: skip
            print(f"pic du tas Python {heap_peak / 1e6:.1f} Mo ; RSS max {_rss_mb():.0f} Mo "
                  f"(avant relève {rss_before:.0f} Mo)")  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        operators.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "mails": count,
        "stored": stored,
        "with_xdm": with_xdm,
        "bytes": total,
        "fetch_seconds": round(seconds, 2),
        "mails_per_s": round(result.stored / seconds, 1),
        "python_heap_peak_mb": round(heap_peak / 1e6, 1),
        "max_rss_mb": round(_rss_mb()),
        "database": connection.vendor,
        "quick": quick,
    }
