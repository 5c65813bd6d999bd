"""Bad input gets a clean 4xx in plain words and stores nothing: oversized and malformed fields, unknown ids,
ids shaped like paths, a body past the cap. Errors on pages are pages; errors under /api are JSON."""

from __future__ import annotations

import pytest

from appliance.service import Appliance
from tests.web.conftest import Act, contact_of, message_of


def snapshot(act: Act) -> tuple[object, ...]:
    client = act("owner")
    return (client.get("/api/calls").json(), client.get("/api/messages/counts").json(),
            client.get("/api/calls/a1").json())


@pytest.mark.parametrize(("params", "field"), [
    ({"page": "0"}, "page"), ({"page": "two"}, "page"), ({"per_page": "5000"}, "per_page"),
    ({"since": "yesterday"}, "since"), ({"outcome": "exploded"}, "outcome"), ({"brand": "../x"}, "brand"),
    ({"number": "1" * 65}, "number"), ({"min_duration_s": "-1"}, "min_duration_s"), ({"color": "red"}, "color")])
def test_a_bad_filter_names_the_field(act: Act, params: dict[str, str], field: str) -> None:
    response = act("viewer").get("/api/calls", params=params)
    assert response.status_code == 422 and field in response.json()["detail"]
    page = act("viewer").get("/calls", params=params)
    assert page.status_code == 422 and "Please check the form" in page.text and field in page.text


def test_unknown_ids_are_404_in_words(act: Act) -> None:
    client = act("owner")
    for path in ("/api/calls/nope", "/api/calls/nope/transcript", "/api/callers/nope", "/api/callers/nope/erasure"):
        response = client.get(path)
        assert response.status_code == 404 and "Not found" in response.json()["detail"]
    page = client.get("/calls/nope")
    assert page.status_code == 404 and "may have been erased" in page.text and "<h1>Not found</h1>" in page.text
    for path, body in (("/api/messages/nope/notes", {"text": "x"}), ("/api/messages/nope/done", {"done": True}),
                       ("/api/messages/nope/assign", {"user_id": 1}),
                       ("/api/callers/nope/correct", {"name": "x"}), ("/api/callers/nope/erase", {"password": "x"})):
        assert client.post(path, json=body).status_code == 404
    assert client.post("/api/callers/nope/export").status_code == 404


def test_a_user_id_past_the_database_s_integers_is_422_not_a_crash(act: Act, appliance: Appliance) -> None:
    huge, owner = 2**63, act("owner")  # found by the API fuzzer (tests/web/test_fuzz_api.py): these were 500s
    message = message_of(appliance, "a1")
    assert owner.post(f"/api/messages/{message}/assign", json={"user_id": huge}).status_code == 422
    assert owner.patch(f"/api/users/{huge}", json={"role": "viewer"}).status_code == 422
    assert owner.post(f"/api/users/{huge}/reset-2fa").status_code == 422
    assert owner.post(f"/users/{huge}/disable").status_code == 422
    assert owner.patch(f"/api/users/{2**63 - 1}", json={"role": "viewer"}).status_code == 404  # the largest: nobody


def test_an_oversized_or_malformed_form_stores_nothing(act: Act, appliance: Appliance) -> None:
    before = snapshot(act)
    message, contact = message_of(appliance, "a1"), contact_of(appliance, "a1")
    staff = act("staff")
    assert staff.post(f"/messages/{message}/note", data={"text": "x" * 2001}).status_code == 422
    assert staff.post(f"/messages/{message}/note", data={"text": ""}).status_code == 422
    assert staff.post(f"/messages/{message}/assign", data={"user_id": "1 OR 1=1"}).status_code == 422
    assert staff.post(f"/messages/{message}/done", data={"done": "perhaps"}).status_code == 422
    assert staff.post(f"/messages/{message}/note", data={"text": "ok", "view": "../../etc"}).status_code == 422
    assert staff.post(f"/api/messages/{message}/notes", json={"text": "ok", "extra": 1}).status_code == 422
    assert staff.post(f"/api/messages/{message}/notes", content=b"{not json",
                      headers={"content-type": "application/json"}).status_code == 422
    assert staff.post(f"/callers/{contact}/correct", data={"name": "n" * 201}).status_code == 422
    assert snapshot(act) == before


def test_a_body_past_the_cap_is_refused_before_it_is_read(act: Act, appliance: Appliance) -> None:
    before = snapshot(act)
    message = message_of(appliance, "a1")
    response = act("staff").post(f"/messages/{message}/note", data={"text": "x" * 70_000})
    assert response.status_code == 413 and "too large" in response.json()["detail"]

    def streamed() -> object:
        yield b"text=" + b"y" * 40_000
        yield b"y" * 40_000  # no length given: counted as it comes

    response = act("staff").post(f"/messages/{message}/note", content=streamed(),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert snapshot(act) == before


@pytest.mark.parametrize("path", ["/calls/..%2F..%2Fetc%2Fpasswd", "/callers/a.b", "/api/callers/%00",
                                  "/api/calls/" + "c" * 65])
def test_ids_shaped_like_paths_are_refused(act: Act, path: str) -> None:
    assert act("owner").get(path).status_code in (404, 422)


def test_errors_never_echo_a_server_trace(act: Act) -> None:
    text = act("owner").get("/calls", params={"page": "two"}).text
    assert "Traceback" not in text and "pydantic" not in text.lower()
