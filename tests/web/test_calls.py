"""The call log and a call's detail through the real app and store: search by number in any form and by name,
filters, pages, every fact of a call, and the transcript only for roles that may read it."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from appliance.service import Appliance
from tests.web.conftest import ANA, BO, Act


def ids(act: Act, **params: object) -> list[str]:
    response = act("owner").get("/api/calls", params=params)
    assert response.status_code == 200, response.text
    return [call["id"] for call in response.json()["calls"]]


def test_calls_come_newest_first(act: Act) -> None:
    assert ids(act) == ["a2", "w1", "b1", "a1"]


@pytest.mark.parametrize("number", [ANA, ANA[1:], f"tel:{ANA}", "+1 (555) 019-9887", "5550199887",
                                    f"sip:{ANA}@pbx.example"])
def test_a_number_in_any_form_finds_the_caller(act: Act, number: str) -> None:
    assert ids(act, number=number) == ["a2", "a1"]


def test_a_number_nobody_called_from_finds_nothing(act: Act) -> None:
    assert ids(act, number="+15550000999") == []
    assert ids(act, number="anonymous") == []  # withheld callers are never found by number


def test_a_name_search_finds_display_names_and_names_given_in_messages(act: Act) -> None:
    assert ids(act, name="berg") == ["b1"]
    assert ids(act, name="Lopez") == ["a2", "a1"]  # the name Ana gave in her message, on every call of hers
    assert ids(act, name="nobody like this") == []
    assert ids(act, name="lopez", number=BO) == []  # both must match


def test_filters_by_brand_outcome_duration_and_date(act: Act) -> None:
    assert ids(act, brand="bikes") == ["b1"]
    assert ids(act, outcome="message-taken") == ["a1"]
    assert ids(act, min_duration_s=60) == ["b1", "a1"]
    assert ids(act, max_duration_s=30) == ["a2", "w1"]
    day = dt.date.fromtimestamp(1_050_000.0)
    assert "b1" in ids(act, since=day.isoformat(), until=day.isoformat())
    assert ids(act, since=dt.date.fromtimestamp(time.time()).isoformat()) == []


def test_the_search_form_as_a_browser_sends_it_with_its_empty_fields(act: Act) -> None:
    form = {"number": ANA, "name": "", "since": "", "until": "", "brand": "", "outcome": "", "min_duration_s": "",
            "max_duration_s": ""}  # found by the browser test: empty dates and durations were a 422
    assert ids(act, **form) == ["a2", "a1"]
    page = act("viewer").get("/calls", params=form)
    assert page.status_code == 200 and page.text.count('<a href="/calls/a') == 2


def test_pages_split_the_log(act: Act) -> None:
    client = act("viewer")
    first = client.get("/api/calls", params={"per_page": 3}).json()
    second = client.get("/api/calls", params={"per_page": 3, "page": 2}).json()
    assert (first["total"], first["pages"], len(first["calls"])) == (4, 2, 3)
    assert [call["id"] for call in second["calls"]] == ["a1"]
    page = client.get("/calls", params={"per_page": 3, "brand": ""})
    assert 'href="/calls?per_page=3&amp;page=2"' in page.text and "page 1 of 2" in page.text


def test_a_call_has_every_fact_its_summary_message_and_recording(act: Act) -> None:
    call = act("viewer").get("/api/calls/a1").json()
    assert (call["caller_number"], call["caller_name"], call["called"], call["brand"]) == \
        (ANA, "ANA L", "+15550000001", "dental")
    assert (call["sip_call_id"], call["codec"], call["source"], call["outcome"]) == \
        ("sip-a1", "G722", "127.0.0.1:5062", "message-taken")
    assert (call["duration_s"], call["billing_minutes"], call["ended_at"] - call["answered_at"]) == (61.0, 2, 61.0)
    assert "wants a cleaning next week" in call["summary"]
    [message] = call["messages"]
    assert (message["name"], message["callback_number"], message["for_member"]) == ("Ana Lopez", ANA, "dr-lee")
    assert len(call["recordings"]) == 1 and "turns" not in call


def test_the_transcript_has_its_timings(act: Act) -> None:
    turns = act("staff").get("/api/calls/a1/transcript").json()["turns"]
    assert [(t["speaker"], t["text"], t["start_s"], t["end_s"]) for t in turns] == [
        ("receptionist", "Good morning, Smile Dental.", 0.2, 1.8), ("caller", "I would like a cleaning", 2.5, 4.0)]
    assert turns[1]["timings"] == {"stt_ms": 120.0}


def test_the_detail_page_shows_the_transcript_and_player_only_to_roles_allowed(act: Act) -> None:
    owner = act("owner").get("/calls/a1").text
    assert "I would like a cleaning" in owner and "<audio controls" in owner and "sip-a1" in owner
    staff = act("staff").get("/calls/a1").text
    assert "I would like a cleaning" in staff and "<audio" not in staff and "cannot play recordings" in staff
    viewer = act("viewer").get("/calls/a1").text
    assert "I would like a cleaning</li>" not in viewer and "cannot read transcripts" in viewer
    assert "wants a cleaning next week" in viewer  # the message and summary are the call log's


def test_pages_escape_what_callers_put_in_their_names(act: Act) -> None:
    client = act("owner")
    contact = client.get("/api/calls/b1").json()["contact_id"]
    client.post(f"/api/callers/{contact}/correct", json={"name": "<script>alert(1)</script>"})
    page = client.get(f"/callers/{contact}").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "b1" in ids(act, name="<script>")


def test_the_pages_load_nothing_from_outside_and_run_no_inline_script(act: Act) -> None:
    client = act("owner")
    for path in ("/calls", "/calls/a1", "/messages"):
        text = client.get(path).text
        assert "<script" not in text and "http://" not in text and "https://" not in text and "style=" not in text
    css = client.get("/static/panel.css")
    assert css.status_code == 200 and "@import" not in css.text and "url(" not in css.text


def test_every_form_carries_the_sessions_csrf_token_and_works_without_the_header(act: Act,
                                                                                 appliance: Appliance) -> None:
    owner = act("owner")
    token = owner.headers["X-CSRF-Token"]
    contact = str(appliance.records.call("a1", transcript=False)["contact_id"])
    for path in ("/calls", "/messages", f"/callers/{contact}", f"/callers/{contact}/erase", "/account", "/users"):
        page = owner.get(path).text
        forms = page.count("<form method=\"post\"") + page.count("<form class=\"inline\" method=\"post\"")
        assert forms and page.count(f'name="csrf_token" value="{token}"') >= forms, path
    del owner.headers["X-CSRF-Token"]  # as a browser posts a form: the token only in its field
    assert owner.post(f"/callers/{contact}/correct", data={"name": "Ana Lopez"}).status_code == 403
    done = owner.post(f"/callers/{contact}/correct", data={"name": "Ana Lopez", "csrf_token": token})
    assert done.status_code == 303
