"""The panel's health page."""

from typing import Any

from fastapi.testclient import TestClient

from web.app import create_app


class Status:
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "active_calls": 1, "sip": "<script>"}


def test_health_json_and_page() -> None:
    client = TestClient(create_app(Status()))
    assert client.get("/health").json() == {"status": "ok", "active_calls": 1, "sip": "<script>"}
    page = client.get("/")
    assert page.status_code == 200 and "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert client.get("/api/calls").status_code == 404
