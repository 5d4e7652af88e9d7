"""MIME composition of MSSanté mails, parsed back as a receiving client would."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from backend.mssante.mime import (
    MimeAttachment,
    compose,
    health_document_attachments,
    new_message_id,
)

SENDER = "jean.martin@ch-exemple.mssante.fr"
PATIENT = "285037728417346@patient.mssante.fr"
PDF = b"%PDF-1.4\n\x00\xff binary \xe9\n%%EOF"
ZIP = b"PK\x03\x04 fictitious zip \x00\x01"


def roundtrip(msg: EmailMessage) -> EmailMessage:
    raw = msg.as_bytes(policy=policy.SMTP)
    assert raw.isascii(), "an SMTP message without 8BITMIME must be 7-bit"
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def build(**overrides: Any) -> EmailMessage:
    params: dict[str, Any] = {
        "sender": SENDER,
        "recipients": ["marie.durand@cabinet.mssante.fr"],
        "subject": "Avis cardiologique",
        "text": "Bonjour,\nvoici mon avis.\n",
        "software_ref": "LiaisonSante 0.1",
    }
    params.update(overrides)
    return compose(**params)


def test_plain_message_has_threading_date_and_software_headers() -> None:
    msg = roundtrip(build())
    assert msg["From"] == SENDER
    assert msg["To"] == "marie.durand@cabinet.mssante.fr"
    assert msg["X-MSS-NIL"] == "LiaisonSante 0.1"
    assert msg["MIME-Version"] == "1.0"
    message_id = msg["Message-ID"]
    assert message_id.startswith("<") and message_id.endswith("@ch-exemple.mssante.fr>")
    assert email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
    for absent in ("X-MSS-INS", "X-MSS-CODECDA", "X-MSS-MES", "Disposition-Notification-To"):
        assert msg[absent] is None
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"


def test_message_ids_are_unique_and_can_use_another_domain() -> None:
    first, second = build(), build(message_id_domain="Messagerie.Exemple.fr")
    assert first["Message-ID"] != build()["Message-ID"]
    assert second["Message-ID"].endswith("@messagerie.exemple.fr>")
    with pytest.raises(ValueError):
        new_message_id("bad domain")


def test_accents_survive_in_subject_and_body() -> None:
    msg = roundtrip(build(subject="Résultats d'échographie — été", text="Très bien, à bientôt.\n"))
    assert msg["Subject"] == "Résultats d'échographie — été"
    body = msg.get_body(("plain",))
    assert body is not None
    # On the wire text lines end in CRLF (MIME canonical form).
    assert body.get_content().replace("\r\n", "\n") == "Très bien, à bientôt.\n"
    assert body["Content-Transfer-Encoding"] == "quoted-printable"


def test_reply_carries_in_reply_to_and_references() -> None:
    msg = roundtrip(
        build(
            in_reply_to="abc@ch.mssante.fr",
            references=["<first@x.mssante.fr>", "abc@ch.mssante.fr"],
        )
    )
    assert msg["In-Reply-To"] == "<abc@ch.mssante.fr>"
    assert msg["References"] == "<first@x.mssante.fr> <abc@ch.mssante.fr>"


def test_references_default_to_in_reply_to() -> None:
    msg = roundtrip(build(in_reply_to="<abc@ch.mssante.fr>"))
    assert msg["References"] == "<abc@ch.mssante.fr>"


def test_mssante_headers_for_ins_cda_code_end_of_exchange_and_read_receipt() -> None:
    msg = roundtrip(
        build(
            recipients=[PATIENT],
            ins_present=True,
            cda_code="11488-4",
            close_exchange=True,
            read_receipt_to=SENDER,
        )
    )
    assert msg["X-MSS-INS"] == "O"
    assert msg["X-MSS-CODECDA"] == "11488-4"
    assert msg["X-MSS-MES"] == "FIN"
    assert msg["Disposition-Notification-To"] == SENDER


def test_ins_header_is_n_when_the_message_has_no_ins() -> None:
    assert roundtrip(build(ins_present=False))["X-MSS-INS"] == "N"


def test_several_recipients_are_listed_in_to() -> None:
    msg = roundtrip(build(recipients=["a@x.mssante.fr", "b@y.mssante.fr"]))
    assert [a.addr_spec for a in msg["To"].addresses] == ["a@x.mssante.fr", "b@y.mssante.fr"]


def test_health_document_attachments_are_the_pdf_and_the_xdm_zip() -> None:
    attachments = health_document_attachments(PDF, "20250314_CR_EXEMPLE_Elodie_D1.pdf", ZIP)
    assert attachments == [
        MimeAttachment("20250314_CR_EXEMPLE_Elodie_D1.pdf", "application/pdf", PDF),
        MimeAttachment("IHE_XDM.ZIP", "application/zip", ZIP),
    ]


def test_attachments_are_base64_parts_with_accented_rfc2231_file_names() -> None:
    attachments = [
        MimeAttachment("compte rendu échographie été.pdf", "application/pdf", PDF),
        MimeAttachment("IHE_XDM.ZIP", "application/zip", ZIP),
    ]
    msg = build(attachments=attachments, text="Ci-joint le compte rendu.\n")
    raw = msg.as_bytes(policy=policy.SMTP)
    assert b"filename*=utf-8''" in raw
    parsed = roundtrip(msg)
    assert parsed.get_content_type() == "multipart/mixed"
    parts = list(parsed.iter_attachments())
    assert [p.get_filename() for p in parts] == ["compte rendu échographie été.pdf", "IHE_XDM.ZIP"]
    assert [p.get_content_type() for p in parts] == ["application/pdf", "application/zip"]
    assert all(p["Content-Transfer-Encoding"] == "base64" for p in parts)
    assert [p.get_content() for p in parts] == [PDF, ZIP]
    assert all(p["MIME-Version"] is None for p in parsed.iter_parts())
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Ci-joint le compte rendu.\n"


def test_given_date_is_used() -> None:
    msg = roundtrip(build(date=datetime(2025, 3, 14, 8, 30, tzinfo=UTC)))
    assert email.utils.parsedate_to_datetime(msg["Date"]) == datetime(
        2025, 3, 14, 8, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"sender": "Jean <jean@ch.mssante.fr>"},
        {"recipients": []},
        {"recipients": ["pas une adresse"]},
        {"recipients": ["a@x.mssante.fr\r\nBcc: spy@gmail.com"]},
        {"software_ref": " "},
        {"read_receipt_to": "x"},
        {"in_reply_to": "no id"},
        {"subject": "Avis\r\nBcc: spy@gmail.com"},
        {"cda_code": "11488-4\nX-Evil: 1"},
        {"attachments": [MimeAttachment("a.pdf", "pdf", PDF)]},
        {"attachments": [MimeAttachment("../a.pdf", "application/pdf", PDF)]},
        {"date": datetime(2025, 3, 14, 8, 30)},
    ],
)
def test_invalid_input_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(**overrides)
