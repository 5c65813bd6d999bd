"""A caller's page and data rights through the real app and store: correct (audited), export as a ZIP of the
JSON v1 export and WAV files (audited), erase after the password (rows, recording files and key gone, audited)."""

from __future__ import annotations

import io
import json
import zipfile

from appliance.service import Appliance
from appliance.storage.datarights import erased_ids, erasure_ledger
from tests.web.conftest import ANA, PASSWORD, Act, contact_of, wav


def audit_actions(appliance: Appliance) -> list[tuple[str, str]]:
    return [(str(row["action"]), str(row["detail"])) for row in appliance.audit_log()]


def test_the_caller_page_has_their_calls_messages_and_questions(act: Act, appliance: Appliance) -> None:
    page = act("staff").get(f"/callers/{contact_of(appliance, 'a1')}").text
    assert ANA in page and 'href="/calls/a1"' in page and 'href="/calls/a2"' in page and "/calls/b1" not in page
    assert "wants a cleaning next week" in page and "do you whiten teeth" in page
    assert "Correct the name" in page and "Export" not in page and "Erase" not in page  # staff may only correct


def test_a_corrected_name_is_stored_and_audited(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "a1")
    response = act("staff").post(f"/callers/{contact}/correct", data={"name": " Ana Lopez ", "notes": "prefers SMS"})
    assert response.status_code == 303 and response.headers["location"] == f"/callers/{contact}"
    caller = act("viewer").get(f"/api/callers/{contact}").json()
    assert (caller["name"], caller["notes"]) == ("Ana Lopez", "prefers SMS")
    assert ("correct", "name, notes; from testclient") in audit_actions(appliance)


def test_the_export_is_a_zip_of_the_json_export_and_the_recordings(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "a1")
    response = act("admin").post(f"/callers/{contact}/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="caller-{contact}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert sorted(bundle.namelist()) == ["export.json", "recordings/a1.wav"]
        archive = json.loads(bundle.read("export.json"))
        assert bundle.read("recordings/a1.wav") == wav()
    assert (archive["format"], archive["version"]) == ("receptionist-export", 1)
    [exported] = archive["contacts"]
    calls = {call["id"]: call for call in exported["calls"]}
    assert set(calls) == {"a1", "a2"} and calls["a1"]["recording"] == "recordings/a1.wav"
    assert "recording" not in calls["a2"] and calls["a1"]["messages"][0]["reason"] == "wants a cleaning next week"
    assert calls["a1"]["turns"][1]["text"] == "I would like a cleaning"
    assert ("export", "caller; from testclient") in audit_actions(appliance)


def test_the_erase_page_shows_what_goes_first(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "a1")
    assert act("admin").get(f"/api/callers/{contact}/erasure").json() == {
        "callers": 1, "calls": 2, "turns": 4, "messages": 1, "recordings": 1, "questions": 1}
    page = act("admin").get(f"/callers/{contact}/erase").text
    assert "2 calls with 4 transcript turns" in page and "1 recording" in page and 'type="password"' in page


def test_erasing_removes_the_rows_the_recording_files_and_the_key(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "a1")
    folder = appliance.settings.recordings_dir
    assert len(list(folder.iterdir())) == 2
    response = act("owner").post(f"/callers/{contact}/erase", data={"password": PASSWORD})
    assert response.status_code == 200 and "2 calls" in response.text
    assert act("owner").get("/api/calls").json()["total"] == 2
    assert act("owner").get("/api/calls/a1").status_code == 404
    assert act("owner").get(f"/callers/{contact}").status_code == 404
    assert len(list(folder.iterdir())) == 1  # Bo's recording stays
    assert act("owner").get("/api/messages/counts").json()["new"] == 0
    assert contact in erased_ids(erasure_ledger(appliance.settings.storage.master_key or
                                                appliance.settings.data_dir / "master.key"))
    assert ("erase", "2 calls; from testclient") in audit_actions(appliance)


def test_a_wrong_password_erases_nothing_and_is_audited(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "a1")
    response = act("owner").post(f"/api/callers/{contact}/erase", json={"password": "guess"})
    assert response.status_code == 403 and "nothing was erased" in response.json()["detail"]
    assert act("owner").get("/api/calls/a1").status_code == 200
    assert ("erase-refused", "wrong password; from testclient") in audit_actions(appliance)
    page = act("owner").post(f"/callers/{contact}/erase", data={"password": "guess"})
    assert page.status_code == 403 and "That password is not right" in page.text and "<h1>Not allowed</h1>" in page.text


def test_a_withheld_caller_can_be_exported_and_erased_alone(act: Act, appliance: Appliance) -> None:
    contact = contact_of(appliance, "w1")
    with zipfile.ZipFile(io.BytesIO(act("owner").post(f"/api/callers/{contact}/export").content)) as bundle:
        assert bundle.namelist() == ["export.json"]
    assert act("owner").post(f"/api/callers/{contact}/erase", json={"password": PASSWORD}).json() == \
        {"calls_erased": 1}
    assert [call["id"] for call in act("owner").get("/api/calls").json()["calls"]] == ["a2", "b1", "a1"]
