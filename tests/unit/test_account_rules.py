"""The panel's account rules as plain numbers and strings: passwords, TOTP steps, recovery codes, timeouts."""

from __future__ import annotations

import pyotp
import pytest

from appliance.accounts import passwords, policy
from appliance.accounts import second_factor as factor
from appliance.accounts.passwords import WeakPasswordError

RULES = policy.RoleRules(roles=("owner", "admin", "staff", "viewer"), second_factor=frozenset({"owner", "admin"}))


@pytest.mark.parametrize(("password", "why"), [
    ("short pass", "too short"),
    ("x" * 300, "too long"),
    ("password1234", "too common"),  # on the list itself
    ("sunshine2024!!", "too common"),  # a listed word with digits and symbols around it
    ("!!!monkey123456", "too common"),
    ("abcabcabcabc", "too common"),  # a short piece repeated
    ("aaaabbbbaaaabbbb", "too common"),  # too few different characters
    ("my name is olga the owner", "user name"),
])
def test_weak_passwords_are_refused_in_words(password: str, why: str) -> None:
    with pytest.raises(WeakPasswordError, match=why):
        passwords.check_new_password(password, "olga")


@pytest.mark.parametrize("password", ["violet tractor moonbeam", "Correct-Horse-Battery-9", "zq8#Lw2!mP4x"])
def test_good_passwords_pass(password: str) -> None:
    passwords.check_new_password(password, "olga")


def test_the_bundled_list_and_argon2id() -> None:
    assert len(passwords.common_passwords()) > 19_000 and "qwerty" in passwords.common_passwords()
    hashed = passwords.hash_password("violet tractor moonbeam")
    assert hashed.startswith("$argon2id$") and "violet" not in hashed
    assert passwords.verify_password(hashed, "violet tractor moonbeam")
    assert not passwords.verify_password(hashed, "violet tractor moonbeams")
    assert not passwords.verify_password("not a hash", "x") and not passwords.verify_password(hashed, "x" * 300)
    assert not passwords.needs_rehash(hashed)


def test_a_totp_code_matches_its_step_once_with_one_step_of_drift() -> None:
    secret, now = factor.new_secret(), 1_800_000_015.0
    step = int(now // 30)
    totp = pyotp.TOTP(secret)
    assert factor.matching_step(secret, totp.at(now), now, None) == step
    assert factor.matching_step(secret, " ".join([totp.at(now)[:3], totp.at(now)[3:]]), now, None) == step
    assert factor.matching_step(secret, totp.at(now - 30), now, None) == step - 1
    assert factor.matching_step(secret, totp.at(now + 30), now, None) == step + 1
    assert factor.matching_step(secret, totp.at(now - 60), now, None) is None
    assert factor.matching_step(secret, totp.at(now), now, step) is None  # used already
    assert factor.matching_step(secret, totp.at(now - 30), now, step) is None  # older than the one used
    assert factor.matching_step(secret, totp.at(now + 30), now, step) == step + 1
    for bad in ("", "12345", "1234567", "abcdef"):
        assert factor.matching_step(secret, bad, now, None) is None


def test_recovery_codes_and_tokens() -> None:
    codes = factor.new_recovery_codes()
    assert len(set(codes)) == 10 and all(len(factor.normalized_code(code)) == 16 for code in codes)
    assert factor.normalized_code(" K7WQ 9dfe-m3xa-P2RT ") == "k7wq9dfem3xap2rt"
    assert factor.new_token("rcp_").startswith("rcp_") and factor.new_token() != factor.new_token()
    uri = factor.provisioning_uri(factor.new_secret(), "olga", "box")
    assert len(factor.digest("x")) == 64 and uri.startswith("otpauth://totp/") and "<svg" in factor.qr_svg(uri)


def test_session_timeouts() -> None:
    signed_in = 1000.0
    assert not policy.session_expired(signed_in, signed_in, signed_in + policy.IDLE_S - 1)
    assert policy.session_expired(signed_in, signed_in, signed_in + policy.IDLE_S)
    late = signed_in + policy.ABSOLUTE_S
    assert policy.session_expired(signed_in, late - 1, late) and not policy.session_expired(signed_in, late - 1,
                                                                                             late - 1)


def test_lock_outs_and_what_they_say() -> None:
    assert policy.lock_until(policy.ACCOUNT_FAILURES - 2, 100.0) is None
    assert policy.lock_until(policy.ACCOUNT_FAILURES - 1, 100.0) == 100.0 + policy.ACCOUNT_LOCK_S
    assert not policy.address_blocked(policy.ADDRESS_FAILURES - 1) and policy.address_blocked(policy.ADDRESS_FAILURES)
    assert policy.locked_message(100.0 + 61, 100.0).startswith("This account is locked for 2 more minutes")
    assert "1 more minute " in policy.locked_message(100.5, 100.0)


def test_which_step_follows_the_password() -> None:
    assert policy.stage_after_password("owner", False, RULES) == policy.ENROL
    assert policy.stage_after_password("staff", False, RULES) == policy.SIGNED_IN
    assert policy.stage_after_password("viewer", True, RULES) == policy.SECOND_FACTOR
    with pytest.raises(ValueError, match="use one of: owner, admin, staff, viewer"):
        RULES.check("root")


def test_a_session_waiting_for_the_second_factor_ends_sooner() -> None:
    assert not policy.session_expired(0.0, policy.HALFWAY_S - 1, policy.HALFWAY_S - 1, policy.SECOND_FACTOR)
    assert policy.session_expired(0.0, policy.HALFWAY_S - 1, policy.HALFWAY_S, policy.ENROL)
    assert not policy.session_expired(0.0, policy.HALFWAY_S - 1, policy.HALFWAY_S, policy.SIGNED_IN)
