"""`receptionist run`: SIP endpoint, call runs and the panel in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from appliance import __version__
from appliance.bus import EventBus
from appliance.config import Settings
from appliance.errors import ApplianceError
from appliance.profile import load_profile
from appliance.storage.backup import sweep_backup_leftovers
from appliance.storage.calllog import CallLog
from appliance.storage.recordings import sweep_recordings
from appliance.storage.rotation import hold_service_lock
from appliance.storage.store import CallStore
from appliance.switchboard import Switchboard
from appliance.wiring import build_context, load_engines
from models import shared_registry
from sip.admission import AdmissionLimits
from sip.config import EndpointConfig, RegistrationConfig, SipError
from sip.endpoint import SipEndpoint
from web.app import create_app

_LOGGER = logging.getLogger(__name__)


def endpoint_config(settings: Settings) -> EndpointConfig:
    """The SIP endpoint's settings from the appliance config."""
    s = settings.sip
    regs = tuple(RegistrationConfig(r.registrar, r.user, r.domain, _secret(r.password_file)) for r in s.registrations)
    call = settings.call
    limits = AdmissionLimits(call.max_concurrent_calls, min(call.max_calls_per_source, call.max_concurrent_calls),
                             s.invites_per_second_per_source, s.invite_burst_per_source,
                             trunk_sources=tuple(s.trunk_sources))
    return EndpointConfig(s.bind_address, s.port, tuple(s.transports), s.rtp_port, s.rtp_port_range,
                          tuple(s.allowed_sources), tuple(s.codecs), s.identity, limits, regs)


def _secret(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SipError(f"cannot read the SIP password file {path}: {exc.strerror}; check "
                       "[[sip.registrations]] password_file") from exc


class Appliance:
    """The running appliance: what the panel asks about."""

    def __init__(self, settings: Settings, store: CallStore) -> None:
        self.settings = settings
        self.store = store
        self.started = time.time()
        self.endpoint: SipEndpoint | None = None
        self.board: Switchboard | None = None

    def health(self) -> dict[str, Any]:
        """Liveness of SIP, models and storage."""
        return {"status": "ok" if self.endpoint else "starting", "version": __version__,
                "sip": f"{self.settings.sip.bind_address}:{self.settings.sip.port}",
                "active_calls": len(self.board.runs) if self.board else 0,
                "uptime_s": round(time.time() - self.started, 1)}


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until stop is set (or SIGINT/SIGTERM): load models, answer calls, serve the panel."""
    stop = stop or _stop_on_signals()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = hold_service_lock(settings.data_dir)  # `keys rotate` refuses while the service holds it
    try:
        await _serve(settings, stop)
    finally:
        os.close(lock)


async def _serve(settings: Settings, stop: asyncio.Event) -> None:
    store = CallStore.open(settings)
    sweep_recordings(store, settings.recordings_dir)
    sweep_backup_leftovers(settings.data_dir)
    if count := store.mark_interrupted():
        _LOGGER.warning("marked %d call(s) left in progress by the last run as interrupted", count)
    appliance = Appliance(settings, store)
    try:
        listener = _panel_socket(settings)
    except ApplianceError:
        store.close()
        raise
    web = _PanelServer(uvicorn.Config(create_app(appliance), log_level="warning", lifespan="off"))
    web_task = asyncio.ensure_future(web.serve(sockets=[listener]))
    try:
        await _answer_calls(settings, appliance, stop)
    finally:
        web.should_exit = True
        await web_task
        listener.close()
        store.close()


def _panel_socket(settings: Settings) -> socket.socket:
    """The panel's listening socket, bound here so a busy port is a clear error rather than uvicorn's exit."""
    host, port = settings.web.bind_address, settings.web.port
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


async def _answer_calls(settings: Settings, appliance: Appliance, stop: asyncio.Event) -> None:
    started = time.monotonic()
    profile = load_profile(settings.business.profile)  # a bad profile fails before the slow model loads
    engines = await asyncio.to_thread(load_engines, settings, shared_registry())
    ctx = await build_context(settings, engines, profile)
    _LOGGER.info("models loaded and phrases ready in %.1f s", time.monotonic() - started)
    bus = EventBus()
    bus.subscribe(CallLog(appliance.store, settings.recordings_dir), name="call-log", backlog=None)
    board = Switchboard(ctx, bus, asyncio.get_running_loop())
    endpoint = SipEndpoint(endpoint_config(settings), board)
    await asyncio.to_thread(endpoint.start)
    appliance.endpoint, appliance.board = endpoint, board
    print(f"Receptionist ready: SIP on {settings.sip.bind_address}:{settings.sip.port}, "
          f"panel on http://{settings.web.bind_address}:{settings.web.port}/health", flush=True)
    try:
        await stop.wait()
    finally:
        _LOGGER.info("shutting down: hanging up %d call(s)", len(board.runs))
        board.closing = True
        await asyncio.to_thread(endpoint.stop)
        await board.drain()
        await asyncio.to_thread(bus.close)
        appliance.endpoint = None


class _PanelServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the appliance's shutdown hangs up calls first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
