"""Inbox fetch: 1,000 mails with attachments (100 quick) fetched over IMAP from a real test
operator (Postfix + Dovecot on loopback, STARTTLS), parsed (MIME, IHE_XDM.ZIP, CDA) and stored.

The mails (a PDF and an XDM each, about 10 kB) are appended to the box first (IMAP APPEND),
then one fetch pass is timed; a second pass (the stored rows forgotten) runs under tracemalloc
for the Python heap peak. The reference, measured in the same run on the same mails, the same
way: a bare imaplib client that downloads each of them (STARTTLS, UID SEARCH, one UID FETCH
BODY.PEEK[] per mail) and keeps nothing; the ratio says what parsing, the XDM checks and
storing cost on top of the transfer. The box is the operator's APP mailbox (mutual TLS: no PSC
provider needed). Runs in a dedicated, throw-away test database (as bench_directory does).
``BENCH_PROFILE=1`` first runs one pass under pyinstrument (var/bench/inbox_fetch.profile.txt).
"""

from __future__ import annotations

import imaplib
import os
import resource
import shutil
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from backend import demo
from backend.accounts.models import Mailbox, Professional, User
from backend.mssante.identities import OID_INS_NIR, PatientIdentity
from backend.mssante.inbox.fetch import fetch_connection, open_imap
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import health_mail, pdf_bytes, sample_xdm
from backend.mssante.models import TrustedDomain
from backend.mssante.tls import client_context
from tests.operator.operator import OP1, OP2, start_operators

APP_BOX = f"labo-app@{OP2}"
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
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
                f"dr.martin@{OP1}", APP_BOX, PATIENT, label=f"Compte rendu {n}",
                type_code="11490-0", text=f"Courrier {n}.", pdf=pdf, xdm=xdm,
            )  # fmt: skip
            size += len(raw)
            imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    finally:
        imap.logout()
    return size


def _profile(link: MailboxConnection) -> None:
    """``BENCH_PROFILE=1``: one fetch pass under pyinstrument (then forgotten, so the timed pass
    fetches everything again); the profile goes to var/bench/inbox_fetch.profile.txt."""
    from pyinstrument import Profiler

    profiler = Profiler()
    with profiler:
        fetch_connection(link.pk)
    out = Path(__file__).resolve().parents[2] / "var" / "bench" / "inbox_fetch.profile.txt"
    out.write_text(profiler.output_text(unicode=True, show_all=False))
    print(f"profil : {out}")
    _forget(link)


def _forget(link: MailboxConnection) -> None:
    """As if the box had never been fetched: the next pass stores every mail again."""
    InboundMessage.objects.filter(mailbox=link.mailbox).delete()
    MailboxConnection.objects.filter(pk=link.pk).update(last_uid=0, uidvalidity=None)


def _bare_fetch(connection_: MailboxConnection) -> tuple[float, int, int]:
    """The reference: seconds, mails and bytes of a plain download of every mail of the box."""
    imap = imaplib.IMAP4("127.0.0.1", int(connection_.imap_port or 0))
    started = time.perf_counter()
    context = client_context(
        ca_file=settings.MSSANTE_CA_FILE,
        crl_file=settings.MSSANTE_CRL_FILE,
        client_cert=connection_.client_cert,
        client_key=connection_.client_key,
    )
    imap.starttls(ssl_context=context)
    imap.login(connection_.mailbox.address, "certificat")
    imap.select("INBOX", readonly=True)
    _, found = imap.uid("SEARCH", "ALL")
    mails = size = 0
    for uid in (found[0] or b"").split():
        _, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        for item in data or []:
            if isinstance(item, tuple):
                mails += 1
                size += len(item[1])
    imap.logout()
    return time.perf_counter() - started, mails, size


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
            CELERY_TASK_ALWAYS_EAGER=False,
        ):
            demo.seed()
            TrustedDomain.objects.create(domain=OP1, imported_at=timezone.now())
            nurse = Professional.objects.get(user__username="ide.durand")
            service = User.objects.create(username="svc.labo", is_service=True)
            box = Mailbox.objects.create(
                address=APP_BOX, kind=Mailbox.Kind.APPLICATION,
                organization=nurse.memberships.get().organization, service_user=service,
            )  # fmt: skip
            cert, key = operators.client_cert(APP_BOX)
            link = MailboxConnection.objects.create(
                mailbox=box, source="imap", auth="certificate", imap_host="127.0.0.1",
                imap_port=operators.of(APP_BOX).imap_port, client_cert=str(cert),
                client_key=str(key),
            )  # fmt: skip
            started = time.perf_counter()
            total = _append(link, count)
            print(f"{count} courriers déposés ({total / 1e6:.1f} Mo) en "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            # Each side twice: once timed (no tracemalloc, which slows allocation-heavy code
            # several times), once under tracemalloc for its heap peak.
            bare_seconds, bare_mails, bare_bytes = _bare_fetch(link)
            tracemalloc.start()
            _bare_fetch(link)
            _, bare_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"référence (imaplib seul, sans analyse ni stockage) : {bare_mails} courriers "
                  f"({bare_bytes / 1e6:.1f} Mo) en {bare_seconds:.2f} s, "
                  f"{bare_mails / bare_seconds:.0f} courriers/s, pic du tas "
                  f"{bare_peak / 1e6:.1f} Mo")  # fmt: skip
            rss_before = _rss_mb()
            if PROFILE:
                _profile(link)
            started = time.perf_counter()
            result = fetch_connection(link.pk)
            seconds = time.perf_counter() - started
            stored = InboundMessage.objects.filter(mailbox=box).count()
            with_xdm = InboundMessage.objects.filter(mailbox=box).exclude(xdm={}).count()
            _forget(link)
            tracemalloc.start()
            fetch_connection(link.pk)
            _, heap_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"relève : {result.stored} courriers stockés ({with_xdm} avec XDM) en "
                  f"{seconds:.1f} s, {result.stored / seconds:.1f} courriers/s"
                  f"{' — ' + result.error if result.error else ''}")  # fmt: skip
            print(f"pic du tas Python {heap_peak / 1e6:.1f} Mo (seconde relève, sous "
                  f"tracemalloc) ; RSS max {_rss_mb():.0f} Mo (avant relève "
                  f"{rss_before:.0f} Mo)")  # fmt: skip
            print(f"rapport relève / référence : {seconds / bare_seconds:.1f} fois le temps, "
                  f"{heap_peak / max(bare_peak, 1):.1f} fois le pic du tas")  # fmt: skip
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
        "reference_imaplib_seconds": round(bare_seconds, 2),
        "reference_imaplib_mails": bare_mails,
        "reference_heap_peak_mb": round(bare_peak / 1e6, 1),
        "ratio_time": round(seconds / bare_seconds, 1),
        "ratio_heap_peak": round(heap_peak / max(bare_peak, 1), 1),
        "max_rss_mb": round(_rss_mb()),
        "database": connection.vendor,
        "quick": quick,
    }
