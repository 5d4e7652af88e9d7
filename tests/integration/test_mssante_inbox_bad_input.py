"""Bad input gets a clear answer and loses nothing: each case ends quarantined or flagged with
its reason, the fetch goes on, nothing is stored twice (one test per case of the issue)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.mssante.identities import OID_INS_NIR, PatientIdentity
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.fetch import fetch_connection, maildir_path
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import health_mail, plain_mail
from backend.mssante.models import OutboundMessage, TrustedDomain
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db

DOMAIN = "hopital.test.mssante.fr"
SENDER = f"dr.hopital@{DOMAIN}"
PATIENT = PatientIdentity(
    ins="285037728417346",
    ins_oid=OID_INS_NIR,
    birth_name="EXEMPLE",
    first_names=("Élodie",),
    birth_date=date(1985, 3, 2),
    sex="F",
    birth_place="77284",
)


@pytest.fixture
def box(personas: Any) -> Mailbox:
    now = timezone.now()
    TrustedDomain.objects.create(domain=DOMAIN, imported_at=now)
    mailbox = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=personas.gp)
    TrustedDomain.objects.get_or_create(
        domain=mailbox.address.split("@")[1], defaults={"imported_at": now}
    )
    return mailbox


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xdm_members(box: Mailbox) -> dict[str, bytes]:
    from backend.mssante.inbox.samples import pdf_bytes, sample_xdm

    data = sample_xdm(PATIENT, pdf_bytes("CR"), title="Compte rendu", type_code="11490-0")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _health(box: Mailbox, xdm: bytes | None = None, patient: PatientIdentity = PATIENT) -> bytes:
    return health_mail(
        SENDER, box.address, patient, label="Compte rendu", type_code="11490-0", text="CR", xdm=xdm
    )


def test_malformed_mime_is_quarantined_with_its_reason(box: Mailbox) -> None:
    raw = (
        f"From: {SENDER}\r\nTo: {box.address}\r\nSubject: cassé\r\nMessage-ID: <m1@x>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--??\r\nno boundary\r\n"
    ).encode()
    mail = store_fetched(box, raw)
    assert mail is not None and mail.status == InboundMessage.Status.QUARANTINED
    assert "MIME" in mail.quarantine_reason
    assert bytes(mail.raw) == raw  # kept as received


def test_a_missing_charset_is_read_as_latin_1_and_flagged(box: Mailbox) -> None:
    raw = (
        f"From: {SENDER}\r\nTo: {box.address}\r\nSubject: sans charset\r\nMessage-ID: <m2@x>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "Rendez-vous à 14 h, réévaluation.\r\n".encode("latin-1")
    mail = store_fetched(box, raw)
    assert mail is not None and mail.status == InboundMessage.Status.OK
    assert "réévaluation" in mail.text
    assert [w["code"] for w in mail.warnings] == ["charset_missing"]


def test_a_wrong_charset_is_flagged_and_the_text_still_shown(box: Mailbox) -> None:
    raw = (
        f"From: {SENDER}\r\nTo: {box.address}\r\nSubject: charset faux\r\nMessage-ID: <m3@x>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-inconnu-42\r\n\r\nBonjour\r\n"
    ).encode()
    mail = store_fetched(box, raw)
    assert mail is not None and mail.status == InboundMessage.Status.OK
    assert mail.text == "Bonjour"
    assert mail.warnings[0]["code"] == "charset_unknown"


def test_a_30_mb_mail_is_quarantined_as_too_large_and_kept(box: Mailbox) -> None:
    raw = plain_mail(SENDER, box.address, "Imagerie", "Voir pièce jointe.") + b"X" * (30 << 20)
    mail = store_fetched(box, raw)
    assert mail is not None and mail.status == InboundMessage.Status.QUARANTINED
    assert "trop volumineux (30 Mo" in mail.quarantine_reason
    assert mail.size == len(raw)


def test_an_xdm_whose_hash_does_not_match_is_flagged_and_acknowledged_ko(
    box: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    members = _xdm_members(box)
    doc = "IHE_XDM/SUBSET01/DOC0001.XML"
    members[doc] = members[doc].replace(b"Compte rendu", b"Compte-rendu")  # same size
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        mail = store_fetched(box, _health(box, _zip(members)))
    assert mail is not None
    assert [w["code"] for w in mail.warnings] == ["xdm_hash_mismatch"]
    mdn = OutboundMessage.objects.get(related_type="mdn")
    assert mdn.subject.startswith("[KO Intégration système !][HASH]")
    assert b"processed/Error: HASH^" in bytes(mdn.mime)


def test_an_xdm_whose_size_does_not_match_is_flagged(box: Mailbox) -> None:
    members = _xdm_members(box)
    doc = "IHE_XDM/SUBSET01/DOC0001.XML"
    members[doc] += b"\n"
    mail = store_fetched(box, _health(box, _zip(members)))
    assert mail is not None
    assert [w["code"] for w in mail.warnings] == ["xdm_size_mismatch"]


def test_an_ins_with_a_wrong_key_is_flagged_and_matches_no_patient(box: Mailbox) -> None:
    members = _xdm_members(box)
    meta = "IHE_XDM/SUBSET01/METADATA.XML"
    members[meta] = members[meta].replace(b"285037728417346", b"285037728417399")
    mail = store_fetched(box, _health(box, _zip(members)))
    assert mail is not None and mail.status == InboundMessage.Status.OK
    assert mail.xdm["ins_status"] == "invalid_key"
    assert mail.patient_match == InboundMessage.PatientMatch.INVALID and mail.patient is None


def test_an_xml_bomb_is_quarantined(box: Mailbox) -> None:
    members = _xdm_members(box)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    )
    members["IHE_XDM/SUBSET01/METADATA.XML"] = bomb
    mail = store_fetched(box, _health(box, _zip(members)))
    assert mail is not None and mail.status == InboundMessage.Status.QUARANTINED
    assert "DTD" in mail.quarantine_reason


def test_a_zip_bomb_is_quarantined(box: Mailbox) -> None:
    members = _xdm_members(box)
    members["IHE_XDM/SUBSET01/DOC0001.XML"] = b"\0" * (100 << 20)
    mail = store_fetched(box, _health(box, _zip(members)))
    assert mail is not None and mail.status == InboundMessage.Status.QUARANTINED
    assert "bombe ZIP" in mail.quarantine_reason or "taille admise" in mail.quarantine_reason


def test_a_mail_from_outside_the_trust_space_is_quarantined(box: Mailbox) -> None:
    raw = plain_mail("someone@gmail.com", box.address, "Résultats", "Voici les résultats.")
    mail = store_fetched(box, raw)
    assert mail is not None and mail.status == InboundMessage.Status.QUARANTINED
    assert "hors de l'espace de confiance" in mail.quarantine_reason


def test_the_fetch_goes_on_after_bad_mail_and_stores_nothing_twice(
    box: Mailbox, settings: Any, tmp_path: Any
) -> None:
    import mailbox as maildir_lib

    settings.MSSANTE_MAILDIR_DIR = tmp_path
    folder = maildir_lib.Maildir(maildir_path(box.address), create=True)
    good = plain_mail(SENDER, box.address, "Bonne", "ok")
    folder.add(b"From: \r\nSubject: illisible\r\n\r\n")
    folder.add(good)
    folder.add(good)  # the same mail twice on the server (same Message-ID)
    folder.add(_health(box))
    connection = MailboxConnection.objects.create(mailbox=box)
    result = fetch_connection(connection.pk)
    assert (result.stored, result.skipped, result.error) == (3, 1, "")
    statuses = sorted(InboundMessage.objects.filter(mailbox=box).values_list("status", flat=True))
    assert statuses == ["ok", "ok", "quarantined"]
    assert fetch_connection(connection.pk).stored == 0
    assert InboundMessage.objects.filter(mailbox=box).count() == 3
