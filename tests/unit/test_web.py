"""The panel's health page, and its listening socket."""

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from appliance.config import WebSettings
from appliance.errors import ApplianceError
from web.app import create_app
from web.server import panel_socket


class Status:
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "active_calls": 1, "sip": "<script>"}


def test_health_json_and_page() -> None:
    client = TestClient(create_app(Status()))
    assert client.get("/health").json() == {"status": "ok", "active_calls": 1, "sip": "<script>"}
    page = client.get("/")
    assert page.status_code == 200 and "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert client.get("/api/calls").status_code == 401  # the call log needs a signed-in user


def test_a_busy_panel_port_says_what_to_do() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(ApplianceError, match=rf"cannot serve the panel on 127\.0\.0\.1:{port}.*\[web\] port"):
            panel_socket(WebSettings(bind_address="127.0.0.1", port=port))
    panel_socket(WebSettings(bind_address="127.0.0.1", port=port)).close()  # free again: bound at once
