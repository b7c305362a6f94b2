"""What staff, the helpdesk and the logs may read of a member's line, and what the door lets in."""

from __future__ import annotations

import pytest

from bot.privacy.clean import clean_payload, clean_text
from bot.privacy.masking import hide_codes, mask_contacts, mask_email, redact, without_secrets
from bot.privacy.passwords import MARKER


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("write to emma.private@gmail.com please", "write to e***@gmail.com please"),
        ("call me at +39 333 123 4567", "call me at *** 67"),
        ("mein Handy: 0049 171 2345678", "mein Handy: *** 78"),
        ("appelez le (01) 42 68 53 00", "appelez le *** 00"),
        ("llámeme al +34612345678", "llámeme al *** 78"),
        ("tel. 333 123 4567 dopo le 18", "tel. *** 67 dopo le 18"),
    ],
)
def test_e_mails_and_phone_numbers_are_masked(said, kept):
    assert mask_contacts(said) == kept


@pytest.mark.parametrize(
    "said",
    [
        "serial 083023001122, bought 12/03/2024",
        "the RF 24-105mm F4 and the RF 100-500",
        "bought on 12 03 2024 at Foto Ottica Cavour",
        "it cost 1.299,00 € in March 2023",
        "membership CPS-2026-000123, invoice 2026-0042",
        "Err 70 after firmware 1.3.1",
    ],
)
def test_what_staff_need_is_left_as_it_is(said):
    assert redact(said) == said


def test_a_line_kept_has_no_password_and_no_link_token():
    line = "I tried Fotocamera!Segreta42 on https://cps.example.com/password/Zx81_aaQ9rT2kLm0 today"
    kept = redact(line)
    assert "Fotocamera!Segreta42" not in kept and MARKER in kept
    assert "Zx81_aaQ9rT2kLm0" not in kept and "https://cps.example.com/password/" in kept
    assert redact(kept) == kept  # redacting twice changes nothing


def test_contacts_stay_for_a_person_helping_live_secrets_do_not():
    said = "my old account is anna.rossi@libero.it, I tried Gatto#Nero2024"
    live = without_secrets(said)
    assert "anna.rossi@libero.it" in live and "Gatto#Nero2024" not in live


@pytest.mark.parametrize(
    "said", ["482913", "il codice è 482 913", "code: 48-29-13", "Der Code lautet 482913."]
)
def test_the_digits_of_a_one_time_code_are_not_kept(said):
    kept = hide_codes(said)
    assert "482" not in kept and "[code removed]" in kept


def test_the_e_mail_on_the_password_offer_is_recognisable_not_harvestable():
    assert mask_email("emma.clark@example.com") == "e***@example.com"


def test_text_that_cannot_be_stored_is_cleaned_at_the_door():
    typed = "Foto Ottica\ud83d Cavour\x00\r\n"
    cleaned = clean_text(typed)
    assert cleaned == "Foto Ottica\ufffd Cavour\n"
    cleaned.encode("utf-8")  # no UnicodeEncodeError, no NUL for PostgreSQL
    assert clean_text("Corte Ingle\u0301s") == "Corte Inglés"  # one spelling (NFC)
    assert clean_payload({"message": {"text": "a\ud800b", "ids": [1, "\x00x"]}}) == {
        "message": {"text": "a\ufffdb", "ids": [1, "x"]}
    }
