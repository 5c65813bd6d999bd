"""A recording streams, decrypted on the fly, only to roles that may play it; every playback and download is
audited with who and from where, and a recording id of another call is a 404 that is audited too."""

from __future__ import annotations

import io
import wave

import pytest

from appliance.service import Appliance
from tests.web.conftest import ROLES, Act, recording_of, wav
from web.permissions import Permission, allowed


def plays(appliance: Appliance) -> list[dict[str, object]]:
    return [row for row in appliance.audit_log() if str(row["action"]).startswith(("play", "download"))]


@pytest.mark.parametrize("role", ROLES)
def test_the_recording_streams_only_to_roles_allowed_and_is_audited(act: Act, appliance: Appliance,
                                                                     role: str) -> None:
    recording = recording_of(appliance, "a1")
    response = act(role).get(f"/api/calls/a1/recordings/{recording}")
    if not allowed(role, Permission.PLAY_RECORDINGS):
        assert response.status_code == 403 and plays(appliance) == []
        return
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    assert response.content == wav()  # the stored audio, decrypted whole
    with wave.open(io.BytesIO(response.content)) as played:
        assert (played.getnchannels(), played.getframerate()) == (2, 16000)
    [row] = plays(appliance)
    assert (row["actor"], row["action"], row["subject"]) == (f"{role}-user", "play", recording)
    assert row["detail"] == "call a1; from testclient"


def test_a_download_is_an_attachment_named_by_the_call_and_audited(act: Act, appliance: Appliance) -> None:
    recording = recording_of(appliance, "a1")
    response = act("admin").get(f"/api/calls/a1/recordings/{recording}", params={"download": "true"})
    assert response.headers["content-disposition"] == 'attachment; filename="call-a1.wav"'
    assert response.headers["cache-control"] == "no-store"
    assert [row["action"] for row in plays(appliance)] == ["download"]


def test_a_recording_of_another_call_is_not_found_and_audited(act: Act, appliance: Appliance) -> None:
    bo_recording = recording_of(appliance, "b1")
    response = act("owner").get(f"/api/calls/a1/recordings/{bo_recording}")
    assert response.status_code == 404 and "no recording" in response.json()["detail"]
    [row] = plays(appliance)
    assert (row["action"], row["subject"], row["actor"]) == ("play-refused", bo_recording, "owner-user")
    assert act("owner").get("/api/calls/a2/recordings/nope").status_code == 404  # a call without one


@pytest.mark.parametrize("path", ["/api/calls/a1/recordings/..%2F..%2Fmaster.key",
                                  "/api/calls/..%2Fa1/recordings/x", "/api/calls/a1/recordings/a.b",
                                  "/api/calls/a1/recordings/" + "x" * 65])
def test_a_path_in_a_recording_id_is_refused_before_any_file_is_opened(act: Act, appliance: Appliance,
                                                                       path: str) -> None:
    response = act("owner").get(path)
    assert 400 <= response.status_code < 500 and b"RIFF" not in response.content
    assert plays(appliance) == [] or all(row["action"] == "play-refused" for row in plays(appliance))
