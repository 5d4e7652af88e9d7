"""The synthesis PDF as a record, read back with pypdf: edited messages say so, emoji and symbols
are drawn from an embedded font that has their glyphs, the title names the people of a
conversation without one, and the one SHA-256 is printed and explained."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pikepdf
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFile

from conversations.syntheses.pdf import MessageData, Person, SynthesisData, content_digest, render
from conversations.syntheses.rendering import between

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EMOJI = "👍"
SYMBOLS = "✓ → ⚠"


def data(
    messages: list[MessageData], title: str = "Synthèse de conversation : test"
) -> SynthesisData:
    return SynthesisData(
        document_id="SYN-TEST-0001",
        title=title,
        generated_at=START + timedelta(days=1),
        participants=[Person("Dr Claire Martin"), Person("Dr Paul Bernard")],
        messages=messages,
    )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_edited_message_says_when_it_was_modified_and_an_unedited_one_does_not():
    edited = MessageData(
        1, "Dr Claire Martin", START, "Dose corrigée : 5 mg", edited_at=START + timedelta(hours=2)
    )
    plain = MessageData(2, "Dr Paul Bernard", START + timedelta(minutes=5), "Bien reçu")
    text = text_of(render(data([edited, plain])).pdf)
    # 08:00 UTC in March is 09:00 in Paris; the edit at 10:00 UTC is 11:00.
    assert "n° 1 — Dr Claire Martin — 02/03/2026 09:00 (modifié le 02/03/2026 à 11:00)" in text
    assert "n° 2 — Dr Paul Bernard — 02/03/2026 09:05\n" in text + "\n"
    assert text.count("modifié le") == 1


def test_emoji_and_symbols_are_drawn_from_an_embedded_font_that_has_their_glyphs():
    body = f"D'accord {EMOJI} {SYMBOLS} — « œdème »"
    rendered = render(data([MessageData(1, "Dr Claire Martin", START, body)]))
    assert body in text_of(rendered.pdf)  # the text layer maps the glyphs back to the emoji
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        fonts = {
            str(font.BaseFont): font for page in pdf.pages for font in page.Resources.Font.values()
        }
        for font in fonts.values():  # PDF/A: every font embedded
            assert "/FontFile2" in font.FontDescriptor, font.BaseFont
        symbola = [font for name, font in fonts.items() if "Symbola" in name]
        assert symbola, fonts.keys()
        # The embedded subset itself carries an outline for each of the drawn symbols.
        subset = symbola[0].FontDescriptor.FontFile2.read_bytes()
    face = TTFontFile(io.BytesIO(subset), validate=0)
    drawn = [g for g in range(1, len(face.glyphPos) - 1) if face.glyphPos[g + 1] > face.glyphPos[g]]
    assert len(drawn) >= len(EMOJI + SYMBOLS.replace(" ", ""))


def test_a_conversation_without_title_is_named_by_its_people():
    assert between(["Dr A", "Dr B"]) == "Échanges entre Dr A et Dr B"
    assert between(["Dr A", "Dr B", "IDE C"]) == "Échanges entre Dr A, Dr B et IDE C"
    assert (
        between(["1", "2", "3", "4", "5", "6"]) == "Échanges entre 1, 2, 3 et 3 autres participants"
    )
    assert between([]) == "Conversation"


def test_the_one_sha256_is_printed_on_every_page_and_explained():
    messages = [
        MessageData(n, "Dr Claire Martin", START + timedelta(minutes=n), f"Ligne {n} " * 30)
        for n in range(1, 120)
    ]
    rendered = render(data(messages))
    digest = content_digest(messages)
    assert rendered.content_sha256 == digest
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf)).pages]
    assert len(pages) > 2
    for page in pages:
        assert f"Empreinte SHA-256 du contenu des messages : {digest}" in page
    whole = re.sub(r"\s+", " ", " ".join(pages))
    assert "De quoi c'est l'empreinte : des messages exportés" in whole
    assert "Comment la vérifier : recalculer le SHA-256" in whole
    # The other SHA-256 (of the file) appears nowhere in the document: one fingerprint only.
    assert rendered.sha256 not in "".join(pages)


def test_a_message_longer_than_a_page_is_split_without_losing_a_line():
    body = "\n".join(f"ligne {n:03d} é {EMOJI}" for n in range(150))
    rendered = render(data([MessageData(1, "Dr Claire Martin", START, body)]))
    text = text_of(rendered.pdf)
    assert rendered.pages >= 3
    assert all(f"ligne {n:03d} é {EMOJI}" in text for n in range(150))
