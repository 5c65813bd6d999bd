"""The panel application: for now only a health page (call data waits for the panel's login and roles)."""

from __future__ import annotations

import html
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.responses import HTMLResponse


class ApplianceStatus(Protocol):
    """What the panel may ask of the running appliance."""

    def health(self) -> dict[str, Any]:
        """Liveness of SIP, models and storage."""


def create_app(status: ApplianceStatus) -> FastAPI:
    """Build the panel for one running appliance."""
    app = FastAPI(title="Receptionist appliance", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the appliance is up: SIP listener, loaded models, active calls."""
        return status.health()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        """A one-screen status page."""
        state = status.health()
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in state.items())
        return ("<!doctype html><title>Receptionist</title><h1>Receptionist appliance</h1>"
                f"<table>{rows}</table>")

    return app
