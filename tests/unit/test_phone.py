"""Phone numbers: one E.164 form for every way a number arrives, a deterministic fallback, anonymous callers."""

from __future__ import annotations

import pytest

from appliance.phone import PhoneNumber, check_region, is_anonymous

SAME_US_NUMBER = ("+15550199887", "15550199887", "0015550199887", "tel:+15550199887", "+1 (555) 019-9887",
                  "555.019.9887", "sip:+15550199887@pbx.lan;user=phone", "<sip:15550199887@10.0.0.1:5060>",
                  "011 1 555 019 9887", "  +1-555-019-9887  ")


def canonical(raw: str, region: str = "US") -> str | None:
    number = PhoneNumber.parse(raw, region)
    return None if number is None else number.canonical


@pytest.mark.parametrize("raw", SAME_US_NUMBER)
def test_every_form_of_one_number_is_the_same_e164(raw: str) -> None:
    number = PhoneNumber.parse(raw, "US")
    assert number == PhoneNumber("+15550199887", True)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("+44 20 7946 0958", "DE", "+442079460958"),
        ("030 1234567", "DE", "+49301234567"),
        ("15550199887", "GB", "15550199887"),  # not a full number in GB: the digits, as the fallback
    ],
)
def test_national_forms_follow_the_default_region(raw: str, region: str, expected: str) -> None:
    assert canonical(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1001", "1001"), ("sip:1001@pbx.lan", "1001"), ("555 0100", "5550100"), ("sip:Alice@example.com", "alice"),
     ("ext. 12", "12")],
)
def test_what_is_not_a_full_number_keeps_a_deterministic_fallback(raw: str, expected: str) -> None:
    number = PhoneNumber.parse(raw, "US")
    assert number is not None and not number.e164
    assert number.canonical == expected == canonical(raw)
    assert number.lookup_forms == (expected,)


@pytest.mark.parametrize("raw", ["", "  ", "anonymous", "Withheld", "sip:anonymous@anonymous.invalid",
                                 "<sip:Restricted@pbx>", "unknown"])
def test_anonymous_callers_have_no_number(raw: str) -> None:
    assert is_anonymous(raw) and PhoneNumber.parse(raw) is None


def test_lookup_forms_and_repr_never_show_the_number() -> None:
    number = PhoneNumber.parse("+15550199887")
    assert number is not None
    assert number.lookup_forms == ("+15550199887", "15550199887")
    assert "5550199887" not in repr(number) and "5550199887" not in str(number)


def test_region_codes_are_checked() -> None:
    assert check_region(" gb ") == "GB"
    with pytest.raises(ValueError, match="'USA' is not a region code: use the two-letter ISO 3166 code"):
        check_region("USA")
