"""The panel application: for now a health page and the recent calls, read from the appliance."""

from __future__ import annotations

import html
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.responses import HTMLResponse


class ApplianceStatus(Protocol):
    """What the panel may ask of the running appliance."""

    def health(self) -> dict[str, Any]:
        """Liveness of SIP, models and storage."""

    def recent_calls(self, limit: int) -> list[dict[str, Any]]:
        """The newest call records, newest first."""


def create_app(status: ApplianceStatus) -> FastAPI:
    """Build the panel for one running appliance."""
    app = FastAPI(title="Receptionist appliance", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the appliance is up: SIP listener, loaded models, active calls."""
        return status.health()

    @app.get("/api/calls")
    def calls(limit: int = 50) -> list[dict[str, Any]]:
        """The newest calls (caller, times, outcome)."""
        return status.recent_calls(max(1, min(limit, 500)))

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        """A one-screen status page."""
        state = status.health()
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in state.items())
        return ("<!doctype html><title>Receptionist</title><h1>Receptionist appliance</h1>"
                f"<table>{rows}</table><p><a href='/api/calls'>Recent calls (JSON)</a></p>")

    return app
