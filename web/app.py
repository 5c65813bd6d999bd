"""The panel application: the health page, the call log, the message inbox and callers' pages, and the same data
as a JSON API under /api (its OpenAPI schema at /api/openapi.json)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from appliance.service import Appliance
from web import errors
from web.api import callers as api_callers
from web.api import calls as api_calls
from web.api import messages as api_messages
from web.limits import BodyLimit
from web.pages import callers as page_callers
from web.pages import calls as page_calls
from web.pages import messages as page_messages

STATIC = Path(__file__).parent / "static"
ROUTERS = (api_calls.router, api_messages.router, api_callers.router, page_calls.router, page_messages.router,
           page_callers.router)


def create_app(appliance: Appliance) -> FastAPI:
    """Build the panel for one running appliance."""
    app = FastAPI(title="Receptionist appliance", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.appliance = appliance
    app.add_middleware(BodyLimit)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the appliance is up: SIP listener, loaded models, active calls."""
        return appliance.health()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        """A one-screen status page."""
        state = appliance.health()
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in state.items())
        return ("<!doctype html><title>Receptionist</title><h1>Receptionist appliance</h1>"
                f"<table>{rows}</table><p><a href=\"/calls\">Calls</a> · <a href=\"/messages\">Messages</a></p>")

    return app
