"""Products as members type them, resolved against the catalogue or offered as candidates."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("r5 mk2", "EOS R5 Mark II"),
        ("Canon EOS R5 Mark II", "EOS R5 Mark II"),
        ("r5 mark ii", "EOS R5 Mark II"),
        ("R5", "EOS R5"),
        ("eos r5", "EOS R5"),
        ("5d4", "EOS 5D Mark IV"),
        ("5D mark IV", "EOS 5D Mark IV"),
        ("R8", "EOS R8"),
        ("eos r1", "EOS R1"),
        ("r3", "EOS R3"),
        ("the 100-500", "RF 100-500mm F4.5-7.1L IS USM"),
        ("RF 50mm F1.2L USM", "RF 50mm F1.2L USM"),
        ("rf 24-70", "RF 24-70mm F2.8L IS USM"),
        ("RF 70-200mm F2.8L IS USM", "RF 70-200mm F2.8L IS USM"),
        ("1dx mk3", "EOS-1D X Mark III"),
        ("r6 mk2", "EOS R6 Mark II"),
        ("R6 Mark II", "EOS R6 Mark II"),
    ],
)
def test_known_names_and_aliases(catalogue, typed, name):
    match = catalogue.match(typed)
    assert match.product is not None and match.product.name == name


@pytest.mark.parametrize(
    ("typed", "among"),
    [
        (
            "70-200 2.8",
            {
                "RF 70-200mm F2.8L IS USM",
                "RF 70-200mm F2.8L IS USM Z",
                "EF 70-200mm f/2.8L IS III USM",
            },
        ),
        ("70-200", {"RF 70-200mm F2.8L IS USM", "RF 70-200mm F4L IS USM"}),
        ("r6", {"EOS R6 Mark II"}),
        ("50 1.2", {"RF 50mm F1.2L USM"}),
    ],
)
def test_ambiguous_names_offer_candidates(catalogue, typed, among):
    match = catalogue.match(typed)
    assert match.product is None
    assert among <= {p.name for p in match.candidates}
    assert len(match.candidates) <= 5


@pytest.mark.parametrize(
    "typed",
    ["pizza", "xyz", "", "   ", "🙂📷", "iphone 15 pro", "'; DROP TABLE products; --", "a" * 5000],
)
def test_nonsense_matches_nothing(catalogue, typed):
    assert catalogue.match(typed).product is None


def test_aliases_never_point_to_two_products(catalogue):
    assert len(catalogue.names) == len(set(catalogue.names))
    assert all(code in catalogue.by_code for code in catalogue.names.values())
