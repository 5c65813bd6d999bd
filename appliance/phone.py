"""Phone numbers: the one canonical form of a caller's number, however it arrives, and withheld callers.

Caller IDs, SIP URIs (`sip:+15550199887@pbx`, `tel:+1-555-019-9887`), numbers typed into the CLI and numbers
spoken by callers all go through `PhoneNumber.parse`, which gives E.164 (`+15550199887`) using the `phonenumbers`
library and a default region (`[business] default_region`, an ISO 3166 code such as "US") for national forms:
`+1 555 019 9887`, `15550199887`, `0015550199887` and `(555) 019-9887` are the same number in the US.

Input that is not a possible full number there (an extension `1001`, a short local number, letters) keeps a
deterministic fallback instead, so nothing is lost: its digits only (`1001`), or, with no digit at all, its
lower-cased user part (`alice`). The same input always gives the same form, so a caller is always found again.
The storage layer feeds `PhoneNumber.canonical` to the blind index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "US"
ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld"})
_SCHEMES = ("sips:", "sip:", "tel:")


def is_anonymous(number: str) -> bool:
    """Whether a caller ID names nobody (withheld, empty, or `sip:anonymous@anonymous.invalid`)."""
    return _user_part(number).lower() in ANONYMOUS


def check_region(region: str) -> str:
    """The region code in upper case; ValueError saying what to write if `phonenumbers` does not know it."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"'{region}' is not a region code: use the two-letter ISO 3166 code of the country the "
                         "business's callers dial from, e.g. \"US\", \"GB\" or \"DE\"")
    return code


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A caller's number in canonical form: E.164 when it is a possible full number, else the fallback form."""

    canonical: str
    e164: bool

    def __repr__(self) -> str:
        return f"PhoneNumber(<redacted>, e164={self.e164})"  # a number never reaches a log through a repr

    @classmethod
    def parse(cls, raw: str, region: str = DEFAULT_REGION) -> PhoneNumber | None:
        """The canonical number of a caller ID, URI or typed number; None for an anonymous caller."""
        if is_anonymous(raw):
            return None
        user = _user_part(raw)
        e164 = _e164(user, region)
        if e164 is not None:
            return cls(e164, True)
        digits = "".join(c for c in user if c.isdigit())
        return cls(digits or user.lower(), False)

    @property
    def lookup_forms(self) -> tuple[str, ...]:
        """Every form a stored caller with this number may be indexed under, canonical first: an E.164 number
        also as its bare digits, the fallback it had when an older library or setting could not parse it."""
        return (self.canonical, self.canonical[1:]) if self.e164 else (self.canonical,)


def is_full_number(canonical: str) -> bool:
    """Whether a canonical number can be dialled as it is: E.164, and in the North American plan with an area code
    that can exist (2-9 first: '+1 025 ...' is five digits heard wrong, not a number). A spoken number that is not
    full is asked for again instead of being read back as if it were (`appliance.reception.readback`)."""
    if not canonical.startswith("+"):
        return False
    return not canonical.startswith("+1") or canonical[2:3] not in ("0", "1")


def digit_groups(canonical: str, region: str = DEFAULT_REGION) -> list[str]:
    """A canonical number in the groups people say it in: `region`'s own numbers in their national form without
    the country code (`+15550194471`: 555, 019, 4471), others in their international form (`+44`, 20, 7946, 0958),
    and a fallback form of digits in threes with a last group of two to four (`5550123`: 555, 0123)."""
    groups = ["".join(c for c in canonical if c.isdigit())]
    if canonical.startswith("+"):
        try:
            number = phonenumbers.parse(canonical, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            own = number.country_code == phonenumbers.country_code_for_region(region)
            form = phonenumbers.PhoneNumberFormat.NATIONAL if own else phonenumbers.PhoneNumberFormat.INTERNATIONAL
            groups = re.findall(r"\+?\d+", phonenumbers.format_number(number, form))
    return [chunk for group in groups for chunk in _chunks(group)]


def _chunks(group: str) -> list[str]:
    """A long run of digits cut into threes, the last chunk two to four digits long (no chunk of one)."""
    if group.startswith("+") or len(group) <= 4:  # a country code, or a group people say in one breath
        return [group] if group.strip("+") else []
    last = 4 if len(group) % 3 == 1 else len(group) % 3 or 3
    head = group[:-last]
    return [*(head[i:i + 3] for i in range(0, len(head), 3)), group[-last:]]


def _user_part(raw: str) -> str:
    """The number part of a caller ID: without `<>`, scheme, host, URI parameters and outer spaces."""
    text = raw.strip().strip("<>").strip()
    lowered = text.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            text = text[len(scheme):]
            break
    return text.split("@", 1)[0].split(";", 1)[0].strip()


def _e164(user: str, region: str) -> str | None:
    """The E.164 form of a possible full number in `region`'s numbering, else None."""
    if user.startswith("00"):  # the international prefix of most of the world, even where it is 011
        user = "+" + user[2:]
    try:
        number = phonenumbers.parse(user, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None  # too short or too long for a full number there: an extension or a local number
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
