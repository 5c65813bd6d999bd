"""The panel's server: HTTPS on [web] port with its certificate, plain HTTP on [web] redirect_port only redirecting
there, and running both beside the appliance in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from appliance.certs import ensure_certificate
from appliance.config import Settings, WebSettings
from appliance.errors import ApplianceError
from appliance.service import Appliance
from web.app import create_app
from web.redirect import redirect_app

_LOGGER = logging.getLogger(__name__)
PANEL_CLOSE_S = 5  # at a stop, requests still open after this long are cut (a browser left open does not hold it)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the appliance and its panel until stop is set; then hang up calls first, and stop the panel last."""
    made = ensure_certificate(settings.web.certificate, settings.web.key, settings.web.bind_address)
    if made is not None:
        _LOGGER.warning("made a self-signed certificate for the panel, %s (fingerprint %s)", made.certificate,
                        made.fingerprint)
    appliance = Appliance(settings)
    appliance.open()
    try:
        listeners = [panel_socket(settings.web)]
        try:
            if settings.web.redirect_port:
                listeners.append(panel_socket(settings.web, settings.web.redirect_port))
            await _serve_beside(appliance, listeners, stop)
        finally:
            for listener in listeners:
                listener.close()
    finally:
        appliance.close()


def _servers(appliance: Appliance, listeners: list[socket.socket]) -> list[tuple[PanelServer, socket.socket]]:
    """The HTTPS panel on the first socket, and the redirect to it on the second if there is one."""
    web = appliance.settings.web
    common: dict[str, Any] = {"log_level": "warning", "lifespan": "off", "server_header": False,
                              "proxy_headers": False, "timeout_graceful_shutdown": PANEL_CLOSE_S}
    panel = uvicorn.Config(create_app(appliance), ssl_certfile=str(web.certificate), ssl_keyfile=str(web.key),
                           **common)
    servers = [(PanelServer(panel), listeners[0])]
    if len(listeners) > 1:
        servers.append((PanelServer(uvicorn.Config(redirect_app(web.port), **common)), listeners[1]))
    return servers


async def _serve_beside(appliance: Appliance, listeners: list[socket.socket], stop: asyncio.Event) -> None:
    """Serve the panel (its health page says "starting" while the models load) and answer calls until stop."""
    servers = _servers(appliance, listeners)
    tasks = [asyncio.ensure_future(server.serve(sockets=[sock])) for server, sock in servers]
    try:
        await appliance.start()
        web, sip = appliance.settings.web, appliance.settings.sip
        redirect = f" (http on port {web.redirect_port} redirects there)" if web.redirect_port else ""
        print(f"Receptionist ready: SIP on {sip.bind_address}:{sip.port}, "
              f"panel on https://{web.bind_address}:{web.port}/{redirect}", flush=True)
        await stop.wait()
    finally:
        await appliance.stop()
        for server, _ in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)


def panel_socket(web: WebSettings, port: int | None = None) -> socket.socket:
    """The panel's listening socket (on [web] port, or another), bound here so a busy port is a clear error rather
    than uvicorn's exit."""
    host, port = web.bind_address, port or web.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        key = "port" if port == web.port else "redirect_port"
        raise ApplianceError(f"cannot serve the panel on {host}:{port}: {exc.strerror}. Set [web] {key} (or "
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
