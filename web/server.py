"""The panel's server: its listening socket, uvicorn, and running it beside the appliance in one process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from appliance.config import Settings, WebSettings
from appliance.errors import ApplianceError
from appliance.service import Appliance
from web.app import create_app


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the appliance and its panel until stop is set; then hang up calls first, and stop the panel last."""
    appliance = Appliance(settings)
    appliance.open()
    try:
        listener = panel_socket(settings.web)
        try:
            await _serve_beside(appliance, listener, stop)
        finally:
            listener.close()
    finally:
        appliance.close()


async def _serve_beside(appliance: Appliance, listener: socket.socket, stop: asyncio.Event) -> None:
    """Serve the panel (its health page says "starting" while the models load) and answer calls until stop."""
    panel = PanelServer(uvicorn.Config(create_app(appliance), log_level="warning", lifespan="off"))
    panel_task = asyncio.ensure_future(panel.serve(sockets=[listener]))
    try:
        await appliance.start()
        web, sip = appliance.settings.web, appliance.settings.sip
        print(f"Receptionist ready: SIP on {sip.bind_address}:{sip.port}, "
              f"panel on http://{web.bind_address}:{web.port}/health", flush=True)
        await stop.wait()
    finally:
        await appliance.stop()
        panel.should_exit = True
        await panel_task


def panel_socket(web: WebSettings) -> socket.socket:
    """The panel's listening socket, bound here so a busy port is a clear error rather than uvicorn's exit."""
    host, port = web.bind_address, web.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ApplianceError(f"cannot serve the panel on {host}:{port}: {exc.strerror}. Set [web] port (or "
                             "bind_address) to a free one, or stop the program using it.") from exc
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


class PanelServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the console's shutdown hangs up calls first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave SIGINT and SIGTERM to the console, which sets the stop event."""
        yield
