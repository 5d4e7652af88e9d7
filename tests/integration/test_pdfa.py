"""Health documents are PDF/A-2b: each property checked on every produced kind (the teleexpertise
report and the conversation synthesis). No full PDF/A validator installs from PyPI, Debian or npm
(veraPDF is distributed on its own site only): these checks are what the suite can prove."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from teleexpertise import actions
from teleexpertise.models import Report
from tests.integration.test_teleexpertise_factories import (
    REPORT,
    ensure_tariffs,
    lefebvre,
    new_request,
)
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db
ACCENTS = "Œdème « aigu », goût, Noël, 37,5 °C — à revoir"


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ensure_tariffs()
    with eager_tasks():
        yield


def _report_pdf(personas) -> bytes:
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    actions.accept_request(personas.cardiologist, request.pk)
    actions.write_report(personas.cardiologist, request.pk, **{**REPORT, "conclusion": ACCENTS})
    actions.file_request(personas.cardiologist, request.pk)
    pdf = Report.objects.get(request=request).pdf
    assert pdf is not None
    return bytes(pdf)


def _synthesis_pdf(personas, as_user, commit) -> bytes:
    from tests.integration.test_conversations_synthesis import conversation_about, done_export, post

    conversation = conversation_about(personas)
    post(conversation, personas.gp, ACCENTS)
    export = done_export(personas, as_user, commit, conversation=conversation)
    with export.file.open("rb") as handle:
        return handle.read()


def _fonts(pdf: pikepdf.Pdf):
    for page in pdf.pages:
        fonts: Any = page.Resources.get("/Font", {})
        for _name, font in fonts.items():
            yield font
            yield from font.get("/DescendantFonts", [])


def _all_objects_text(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            qdf=True,
            compress_streams=False,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
        return out.getvalue()


def assert_pdfa_2b(data: bytes, title_part: str) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        # XMP identification, in step with the document information.
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert title_part in meta["dc:title"]
        assert str(pdf.docinfo["/Title"]) == meta["dc:title"]
        # An sRGB output intent with its ICC profile.
        [intent] = list(pdf.Root.OutputIntents)
        assert intent.S == "/GTS_PDFA1"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 3
        icc = profile.read_bytes()
        assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB "
        # Every font embedded (TrueType subsets carry FontFile2), none of the standard 14.
        fonts = list(_fonts(pdf))
        assert fonts
        for font in fonts:
            if font.Subtype == "/Type0":
                continue  # its descendant, listed too, carries the descriptor
            descriptor = font.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
        # No encryption, no scripts, no embedded files, a file identifier.
        assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
        assert "/ID" in pdf.trailer
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
    flat = _all_objects_text(data)
    assert b"/JavaScript" not in flat and b"/JS " not in flat
    # The glyphs for accents and symbols are there: the text reads back unchanged.
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for word in ("Œdème", "« aigu »", "goût", "Noël", "°C", "—", "à"):
        assert word in text, word


def test_the_teleexpertise_report_is_pdfa_2b(personas):
    assert_pdfa_2b(_report_pdf(personas), "Compte rendu de téléexpertise")


def test_the_conversation_synthesis_is_pdfa_2b(
    personas, as_user, django_capture_on_commit_callbacks
):
    data = _synthesis_pdf(personas, as_user, django_capture_on_commit_callbacks)
    assert_pdfa_2b(data, "Suivi cardiologique")


def test_rendering_leaves_reportlab_process_wide_defaults_alone(
    personas, as_user, django_capture_on_commit_callbacks
):
    """The embedded font is given to our canvases and tables only: other users of reportlab in
    the process keep its defaults."""
    from reportlab import rl_config
    from reportlab.platypus import tables

    _report_pdf(personas)
    _synthesis_pdf(personas, as_user, django_capture_on_commit_callbacks)
    assert rl_config.canvas_basefontname == "Helvetica"
    assert tables.CellStyle.fontname == "Helvetica"
