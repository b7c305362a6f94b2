"""What a new password must be (the page's policy): long or strong, never guessable,
never the e-mail, typed twice the same; problems come back as stable codes."""

from __future__ import annotations

import pytest

from bot.domain.password_rules import MAX_LENGTH, password_problems, strength

EMAIL = "giulia.rossi@example.com"


@pytest.mark.parametrize(
    "password",
    ["Zebra-Lantern-Quokka-1987", "fotografia12", "Marco1985!", "x7#Kp!2qLw", "é" * 3 + "Ω9z!kq"],
)
def test_long_or_hard_to_guess_passwords_are_taken(password):
    assert password_problems(password, password, EMAIL) == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "too_short"),
        ("Kx9#vq2", "too_short"),  # strong, but under the minimum of 8
        ("x" * (MAX_LENGTH + 1), "too_long"),
        ("passwordpassword", "too_common"),  # long is not enough: a repetition of a word
        ("123456789012", "too_common"),
        ("qwertyuiopas", "too_common"),
        ("aaaaaaaaaaaaaaaa", "too_common"),
        ("canoncanon12", "too_common"),  # the programme's own words count as known
        ("Milano2020", "too_weak"),  # under 12 and zxcvbn says only "somewhat guessable"
        ("giulia.rossi!!2024", "contains_email"),
        ("GiuliaRossi-Photos", "contains_email"),
        ("my giulia.rossi@example.com", "contains_email"),
    ],
)
def test_weak_guessable_or_personal_passwords_are_refused(password, problem):
    assert password_problems(password, password, EMAIL) == [problem]


def test_both_fields_must_match_and_every_problem_is_said():
    assert password_problems("Zebra-Lantern-Quokka-1987", "zebra", EMAIL) == ["mismatch"]
    assert password_problems("short", "other", EMAIL) == ["too_short", "mismatch"]


def test_a_short_local_part_does_not_refuse_every_password():
    assert password_problems("Zebra-Lantern-Quokka", "Zebra-Lantern-Quokka", "al@ex.com") == []


def test_strength_is_zxcvbn_score_and_survives_very_long_input():
    assert strength("password") == 0
    assert strength("Zebra-Lantern-Quokka-1987" * 10) == 4
