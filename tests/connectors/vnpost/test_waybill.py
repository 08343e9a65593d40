"""UPU S10 waybills: the check digit, validation and generation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.vnpost import is_valid_waybill, new_waybill, s10_check_digit, waybill_problem
from connectors.vnpost._waybill import WEIGHTS

serials = st.integers(min_value=0, max_value=99_999_999)


def test_the_standards_example() -> None:
    assert s10_check_digit("12345678") == 5
    assert new_waybill(12345678) == "EE123456785VN"
    assert is_valid_waybill("EE123456785VN")


@pytest.mark.parametrize(
    ("serial", "digit"),
    [
        ("00000000", 5),  # sum 0: 11 - 0 = 11 -> 5
        ("00000001", 4),  # sum 7: 11 - 7 = 4
        ("00000010", 2),  # sum 9: 11 - 9 = 2
        ("00000008", 0),  # sum 56 = 5*11 + 1: 11 - 1 = 10 -> 0
    ],
)
def test_check_digit_special_cases(serial: str, digit: int) -> None:
    assert s10_check_digit(serial) == digit


@given(serials)
def test_generated_waybills_are_valid(serial: int) -> None:
    waybill = new_waybill(serial)
    assert len(waybill) == 13
    assert waybill.startswith("EE")
    assert waybill.endswith("VN")
    assert waybill[2:10] == f"{serial:08d}"
    assert is_valid_waybill(waybill)


@given(serials, st.integers(min_value=1, max_value=9))
def test_any_other_check_digit_is_refused(serial: int, delta: int) -> None:
    waybill = new_waybill(serial)
    wrong = f"{waybill[:10]}{(int(waybill[10]) + delta) % 10}{waybill[11:]}"
    assert not is_valid_waybill(wrong)
    assert waybill_problem(wrong) == "wrong S10 check digit"


@given(serials, st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=9))
def test_a_changed_serial_digit_is_caught_unless_the_check_digits_collide(
    serial: int, position: int, delta: int
) -> None:
    """Mod 11 sees every single-digit change (the weights are prime to 11), but 11 -> 5 folds
    remainders 0 and 6 onto one check digit: only such a pair can go unnoticed."""
    waybill = new_waybill(serial)
    digits = list(waybill[2:10])
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = f"{waybill[:2]}{''.join(digits)}{waybill[10:]}"
    if is_valid_waybill(changed):
        before = sum(int(d) * w for d, w in zip(waybill[2:10], WEIGHTS, strict=True)) % 11
        after = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
        assert {before, after} == {0, 6}


@given(st.text(max_size=20))
def test_validation_never_raises(value: str) -> None:
    assert is_valid_waybill(value) is (waybill_problem(value) is None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("EE12345678VN", "not an S10 waybill"),
        ("ee123456785VN", "not an S10 waybill"),
        ("EE123456785US", "not a VN waybill"),
        ("EE123456784VN", "wrong S10 check digit"),
        ("EE1234567８5VN", "not an S10 waybill"),  # a full-width digit
        (12345678, "a waybill is a string"),
    ],
)
def test_refusals_say_why(value: object, problem: str) -> None:
    assert (waybill_problem(value) or "").startswith(problem)
    assert not is_valid_waybill(value)


def test_generation_refuses_what_is_no_serial() -> None:
    for bad in (-1, 100_000_000):
        with pytest.raises(ValueError, match="between 0 and"):
            new_waybill(bad)
    with pytest.raises(ValueError, match="eight ASCII digits"):
        s10_check_digit("1234567")
    with pytest.raises(ValueError, match="two capital letters"):
        new_waybill(1, service="E1")
    assert new_waybill(1, service="RR") == "RR000000014VN"
