"""One caller, one contact: every form of a number finds the same caller, for calls, export, erase and correct."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.phone import PhoneNumber
from appliance.storage import contacts
from appliance.storage.datarights import correct_contact, erase_caller, export_caller
from appliance.storage.schema import atomic
from appliance.storage.store import CallStore
from tests.store.conftest import OTHER, PHRASE, add_call, contains, file_bytes

FORMS = ("+15550199887", "15550199887", "0015550199887", "tel:+15550199887")
ASKED = (*FORMS, "+1 (555) 019-9887", "sip:+15550199887@pbx.lan")


def _four_forms(store: CallStore) -> None:
    for n, form in enumerate(FORMS):
        add_call(store, f"c{n}", form, f"{PHRASE} {n}", at=10.0 + n)
    add_call(store, "other", OTHER, "other words", name="Bo Other", at=20.0)


def test_the_four_forms_are_one_contact(store: CallStore) -> None:
    _four_forms(store)
    [contact_id] = store.find_contacts(FORMS[0])
    assert store.call_ids(contact_id) == ["c0", "c1", "c2", "c3"]
    assert store.contact(contact_id)["number"] == "+15550199887"
    assert [store.call(f"c{n}")["caller_number"] for n in range(4)] == list(FORMS)  # each call keeps its caller ID


@pytest.mark.parametrize("asked", ASKED)
def test_export_of_any_form_holds_the_calls_of_all_four(store: CallStore, asked: str) -> None:
    _four_forms(store)
    archive = export_caller(store, asked)
    calls = [call["id"] for contact in archive["contacts"] for call in contact["calls"]]
    assert calls == ["c0", "c1", "c2", "c3"]


@pytest.mark.parametrize("asked", ASKED)
def test_erase_of_any_form_erases_all_four(store: CallStore, db_path: Path, asked: str) -> None:
    _four_forms(store)
    assert erase_caller(store, asked) == 4
    assert [row["id"] for row in store.recent_calls()] == ["other"]
    for form in FORMS:
        assert store.find_contacts(form) == []
    data = file_bytes(db_path)
    assert not any(contains(data, f"{PHRASE} {n}") for n in range(4))


def test_every_matching_contact_is_exported_erased_and_corrected(store: CallStore) -> None:
    add_call(store, "a", "+15550199887", at=5.0)
    with store._lock, atomic(store.db):  # a caller indexed by the bare-digits fallback (an older library's)
        old, _ = contacts.contact_for(store._sealer, "15550199887", PhoneNumber("15550199887", False), "Old Ana", 1.0)
    add_call(store, "b", "tel:+15550199887", at=30.0)  # a returning caller joins the oldest contact that matches
    found = store.find_contacts("(555) 019-9887")
    assert len(found) == 2 and found[0] == old and store.call_ids(old) == ["b"]
    correct_contact(store, "15550199887", notes="prefers mornings")
    assert [store.contact(contact_id)["notes"] for contact_id in found] == ["prefers mornings"] * 2
    assert len(export_caller(store, "+15550199887")["contacts"]) == 2
    assert erase_caller(store, "0015550199887") == 2 and store.contact_ids() == []
