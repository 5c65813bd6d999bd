"""The panel application: sign-in and accounts, the call log, the message inbox and callers' pages, users and the
audit log, and the same data as a JSON API under /api (its OpenAPI schema at /api/openapi.json). `web.server`
serves it over HTTPS; `/health` stays open for monitoring and says nothing about callers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
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
from web.principal import ROLE_RULES, Principal, current_principal
from web.routes import account, api_session, api_users, signin, users
from web.security import SecurityHeaders, csrf_guard
from web.templating import render

STATIC = Path(__file__).parent / "static"
ROUTERS = (api_calls.router, api_messages.router, api_callers.router, page_calls.router, page_messages.router,
           page_callers.router, signin.router, account.router, users.router, api_session.router, api_users.router)


def create_app(appliance: Appliance) -> FastAPI:
    """Build the panel for one opened appliance (its store holds the accounts)."""
    app = FastAPI(title="Receptionist appliance", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  dependencies=[Depends(csrf_guard)])
    app.state.appliance = appliance
    app.state.accounts = appliance.accounts(ROLE_RULES)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers, a refusal too
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the appliance is up: SIP listener, loaded models, active calls (no caller data)."""
        return appliance.health()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, me: Annotated[Principal, Depends(current_principal)]) -> Response:
        """The start page: who is signed in, and the appliance's state."""
        return render(request, "index.html", principal=me, health=appliance.health(), faults=appliance.faults())

    return app
