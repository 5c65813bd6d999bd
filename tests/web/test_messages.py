"""The message inbox: new → assigned → done and back, team notes sealed like the rest of the message, the count
of new messages in the header."""

from __future__ import annotations

from appliance.service import Appliance
from tests.store.conftest import contains, file_bytes
from tests.web.conftest import USERS, Act, message_of


def views(act: Act) -> dict[str, list[str]]:
    client = act("viewer")
    return {view: [m["id"] for m in client.get("/api/messages", params={"view": view}).json()["messages"]]
            for view in ("new", "assigned", "done")}


def test_a_message_moves_from_new_to_assigned_to_done_and_back(act: Act, appliance: Appliance) -> None:
    message = message_of(appliance, "a1")
    assert views(act) == {"new": [message], "assigned": [], "done": []}
    staff = act("staff")
    assert staff.post(f"/messages/{message}/assign", data={"user_id": str(USERS["staff"]),
                                                           "view": "new"}).headers["location"] == "/messages?view=new"
    assert views(act) == {"new": [], "assigned": [message], "done": []}
    [listed] = act("viewer").get("/api/messages", params={"view": "assigned"}).json()["messages"]
    assert (listed["assignee_name"], listed["status"], listed["reason"]) == \
        ("staff-user", "read", "wants a cleaning next week")
    assert staff.post(f"/api/messages/{message}/done", json={"done": True}).status_code == 200
    assert views(act) == {"new": [], "assigned": [], "done": [message]}
    staff.post(f"/messages/{message}/done", data={"done": "false", "view": "done"})
    assert views(act)["assigned"] == [message]
    staff.post(f"/api/messages/{message}/assign", json={"user_id": None})
    assert views(act)["new"] == [message]


def test_the_header_counts_new_messages(act: Act, appliance: Appliance) -> None:
    client = act("viewer")
    assert client.get("/api/messages/counts").json() == {"new": 1, "assigned": 0, "done": 0}
    assert 'title="new messages">1</span>' in client.get("/calls").text
    act("staff").post(f"/api/messages/{message_of(appliance, 'a1')}/assign", json={"user_id": USERS["admin"]})
    assert 'title="new messages"' not in client.get("/calls").text


def test_team_notes_are_kept_in_order_and_sealed(act: Act, appliance: Appliance) -> None:
    message = message_of(appliance, "a1")
    staff = act("staff")
    staff.post(f"/messages/{message}/note", data={"text": "left a voicemail zebranote", "view": "new"})
    staff.post(f"/api/messages/{message}/notes", json={"text": "booked for Tuesday"})
    notes = staff.get("/api/calls/a1").json()["messages"][0]["notes"].splitlines()
    assert notes[0].endswith("] staff-user: left a voicemail zebranote") and notes[1].endswith(
        "] staff-user: booked for Tuesday")
    appliance.close()
    assert not contains(file_bytes(appliance.settings.database_path), "zebranote")


def test_the_inbox_page_offers_the_team_and_the_actions_only_to_workers(act: Act) -> None:
    staff = act("staff").get("/messages").text
    assert "Assign to" in staff and "owner-user" in staff and "Mark done" in staff
    viewer = act("viewer").get("/messages").text
    assert "wants a cleaning next week" in viewer and "Assign to" not in viewer


def test_assigning_to_someone_who_is_not_a_panel_user_is_refused(act: Act, appliance: Appliance) -> None:
    message = message_of(appliance, "a1")
    response = act("staff").post(f"/api/messages/{message}/assign", json={"user_id": 777})
    assert response.status_code == 400 and "panel user does not exist" in response.json()["detail"]
    assert views(act)["new"] == [message]  # nothing changed
