"""The appliance's one public face: `Appliance` starts and stops the core (store, models, SIP endpoint,
switchboard) and answers what a panel may ask (health, calls, messages, live events, hang-up, transfer, the
business profile and its versions, the audit log; `records` holds the panel's call log, inbox and callers:
appliance.records).

The panel and the console build on this object; nothing here knows about either.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.accounts.policy import RoleRules
from appliance.accounts.service import Accounts, open_accounts, verify_password
from appliance.bus import EventBus
from appliance.call.context import Reception, build_reception
from appliance.call.engines import Engines, load_engines
from appliance.call.events import CallEvent
from appliance.call.unloaded import ModelFault
from appliance.clock import CLOCK_ENV, clock_from_env
from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode, NotFoundError
from appliance.live_profile import LiveProfile, ProfileSaved
from appliance.reception.profile import Profile
from appliance.reception.summary import summarize
from appliance.records import Records
from appliance.sipconfig import endpoint_config
from appliance.storage import audit
from appliance.storage.backup import sweep_backup_leftovers
from appliance.storage.calllog import CallLog
from appliance.storage.recordings import sweep_recordings
from appliance.storage.rotation import hold_service_lock
from appliance.storage.space import disk_full_at_start, is_disk_full
from appliance.storage.store import CallStore
from appliance.switchboard import Switchboard
from models import ModelError, Synthesizer, shared_registry
from sip.config import SipError
from sip.endpoint import SipEndpoint

_LOGGER = logging.getLogger(__name__)


class Appliance:
    """The call service as one object: `open`, `start`, then `stop` and `close`; in between, the panel's questions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = time.time()
        self._lock: int | None = None
        self._store: CallStore | None = None
        self._endpoint: SipEndpoint | None = None
        self._board: Switchboard | None = None
        self._engines: Engines | None = None
        self._profile: LiveProfile | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._call_log: CallLog | None = None
        self.clock = clock_from_env()
        self.bus = EventBus()
        self.records = Records(self._opened_store, settings.recordings_dir)  # the panel's call log, inbox, callers

    # --- lifecycle ---

    def open(self) -> None:
        """Hold the data folder's lock, open the call store and tidy what the last run left (fast: no models)."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = hold_service_lock(self.settings.data_dir)  # `keys rotate` refuses while the service holds it
        try:
            store = self._store = CallStore.open(self.settings)
            self._profile = LiveProfile(store, self.settings.business.profile)
            sweep_recordings(store, self.settings.recordings_dir)
            sweep_backup_leftovers(self.settings.data_dir)
            if count := store.mark_interrupted():
                _LOGGER.warning("marked %d call(s) left in progress by the last run as interrupted", count)
        except BaseException as exc:
            self.close()
            if is_disk_full(exc.__cause__ or exc, self.settings.data_dir):  # not a damaged database: say so
                raise ApplianceError(disk_full_at_start(self.settings.data_dir), code=ErrorCode.STORE) from exc
            raise

    async def start(self) -> None:
        """Import the business profile file if it is newer than the stored one, load the models, then answer
        calls over SIP."""
        settings, store, live = self.settings, self._opened_store(), self._live_profile()
        began = time.monotonic()
        if self.clock.shifted:
            _LOGGER.warning("the receptionist's clock starts at %s ($%s): hours and the team are read at that time",
                            self.clock.now().isoformat(timespec="minutes"), CLOCK_ENV)
        await asyncio.to_thread(live.import_file)  # no profile to answer with fails before the slow model loads
        self._engines = await asyncio.to_thread(load_engines, settings, shared_registry(), answering=True)
        await live.start(self._builder(self._engines))
        _LOGGER.info("models loaded and phrases ready in %.1f s", time.monotonic() - began)
        self._call_log = CallLog(store, settings.recordings_dir, summarize)
        self.bus.subscribe(self._call_log, name="call-log", backlog=None)
        board = Switchboard(live.for_called, self.bus, asyncio.get_running_loop(), store.known_name)
        endpoint = SipEndpoint(endpoint_config(settings), board)
        try:
            await asyncio.to_thread(endpoint.start)
        except SipError as exc:
            raise ApplianceError(str(exc), code=ErrorCode.SIP) from exc
        self._endpoint, self._board = endpoint, board
        self._watcher = asyncio.ensure_future(live.watch())
        # What start-up made lives as long as the process: out of the collector's sight, a full collection no
        # longer holds the GIL for 20 ms or more while the media thread's next frame waits for it.
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        """Hang up every call and wait until their records reach the store (nothing to do if never started)."""
        board, endpoint = self._board, self._endpoint
        if board is None or endpoint is None:
            return
        if self._watcher is not None:
            self._watcher.cancel()
        _LOGGER.info("shutting down: hanging up %d call(s)", len(board.runs))
        board.closing = True
        await asyncio.to_thread(endpoint.stop)
        await board.drain()
        await asyncio.to_thread(self.bus.close)  # every event of every call reaches the store
        if self._call_log is not None:
            await asyncio.to_thread(self._call_log.close)  # or is logged as lost, if the disk stayed full
        self._endpoint = self._board = None

    def close(self) -> None:
        """Close the call store and let go of the data folder's lock."""
        if self._store is not None:
            self._store.close()
            self._store, self._profile = None, None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # --- what a panel may ask ---

    def health(self) -> dict[str, Any]:
        """Liveness of SIP, models and storage, and the profile version calls are answered from; `faults`: the
        config keys of the models that did not load at the start (status `degraded`: calls get the keypad menu
        where they need one of them; `faults()` says more); `llm_stuck_s`: how long the LLM has been stuck on a
        reply nobody waits for (calls that need it get the keypad menu)."""
        stuck = self._engines.llm_stuck_s if self._engines else None
        faults = [fault.key for fault in self.faults()]
        status = ("degraded" if faults else "ok") if self._endpoint else "starting"
        return {"status": status, "version": __version__, "faults": faults,
                "sip": f"{self.settings.sip.bind_address}:{self.settings.sip.port}",
                "active_calls": len(self._board.runs) if self._board else 0,
                "profile_version": self._profile.version if self._profile else 0,  # the one calls are answered from
                "uptime_s": round(time.time() - self.started, 1),
                "llm_stuck_s": None if stuck is None else round(stuck, 1)}

    def faults(self) -> tuple[ModelFault, ...]:
        """The models that did not load at the start, and what calls get instead (until a restart)."""
        return self._engines.faults if self._engines else ()

    def calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest stored calls, newest first, with the callers' numbers and names decrypted."""
        return self._opened_store().recent_calls(limit)

    def call(self, call_id: str) -> dict[str, Any]:
        """One stored call (an id from `calls`) with its turns and events."""
        try:
            return self._opened_store().call(call_id)
        except KeyError:
            raise NotFoundError(f"no stored call {call_id}") from None

    def messages(self, contact_id: str) -> list[dict[str, Any]]:
        """The messages taken for one caller (a stored call's contact_id), oldest first."""
        try:
            return self._opened_store().messages(contact_id)
        except KeyError:
            raise NotFoundError(f"no stored caller {contact_id}") from None

    def knowledge_gaps(self, brand: str | None = None) -> list[dict[str, Any]]:
        """Questions callers asked that the profile could not answer (of one brand, or all): each with its brand,
        question, count and last asked (Unix seconds), most asked first."""
        return self._opened_store().knowledge_gaps(brand)

    def accounts(self, rules: RoleRules) -> Accounts:
        """The panel's accounts under the panel's role rules: users, sign-in, sessions, tokens, setup links."""
        return open_accounts(self._opened_store(), rules)

    def verify_password(self, user_id: int, password: str) -> bool:
        """Whether `password` is this user's (asked again before an erasure)."""
        return verify_password(self._opened_store(), user_id, password)

    def audit(self, *, actor: str, action: str, subject: str | None = None, detail: str | None = None,
              source: str | None = None) -> None:
        """Write one audit-log row: who (`actor`), what (`action`, `subject`: an opaque id), from where (`source`)."""
        audit.record(self._opened_store(), actor=actor, action=action, subject=subject, detail=detail, source=source)

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Audit-log rows, newest first."""
        return audit.read(self._opened_store(), limit, offset)

    def subscribe(self, callback: Callable[[str, CallEvent], None]) -> Callable[[], None]:
        """Receive every call event as (call id, event) on a thread of its own, in order; a slow or failing
        callback never delays a call. Returns the function that unsubscribes."""
        return self.bus.subscribe(callback)

    def hangup(self, call_id: str) -> None:
        """Hang up a call in progress (its call id, as in events and the call log)."""
        self._live_board().control(call_id).hang_up()

    def transfer(self, call_id: str, target: str) -> None:
        """Blind-transfer a call in progress to a SIP URI, or to a number or extension at the peer that sent it."""
        control = self._live_board().control(call_id)
        try:
            control.transfer(target)
        except ValueError as exc:
            raise ApplianceError(str(exc)) from exc

    async def reload(self) -> None:
        """Read the profile file now (imported if newer than the live version) and answer calls from the live
        version; calls in progress keep theirs. A bad file is logged and changes nothing."""
        if self._board is None:
            raise ApplianceError("the appliance is not answering calls yet; the profile is read when it starts")
        await self._live_profile().refresh(read_file=True)

    # --- the business profile, for the panel to show and edit ---

    def profile_text(self, version: int | None = None) -> str:
        """The live business profile as TOML text (or a stored older version's)."""
        return self._live_profile().text(version)

    def profile_versions(self) -> list[dict[str, Any]]:
        """Every stored profile version, newest (live) first: version, source ('file', 'cli', 'panel:<user>'),
        created_at (Unix seconds), restored_from, live."""
        return self._live_profile().versions()

    async def save_profile(self, text: str, author: str) -> ProfileSaved:
        """Check a profile (TOML) with the same loader as the file and make it live for the next call; when it
        is refused, `problems` says which key is wrong and what is expected, and the live version stays."""
        return await self._live_profile().save(text, author)

    async def restore_profile_version(self, version: int, author: str = "panel") -> ProfileSaved:
        """Make a stored version live again (as a new version, so the history keeps what was replaced)."""
        return await self._live_profile().restore(version, author)

    # --- inside ---

    def _builder(self, engines: Engines) -> Callable[[Profile], Awaitable[Reception]]:
        """How a profile is made ready for calls: a run context per brand, its phrases synthesized ahead."""
        return lambda profile: build_reception(self.settings, engines, profile, _voice, self.clock)

    def _live_profile(self) -> LiveProfile:
        if self._profile is None:
            raise ApplianceError("the call store is not open: the appliance is not running")
        return self._profile

    def _live_board(self) -> Switchboard:
        if self._board is None:
            raise NotFoundError("no call is in progress: the appliance is not answering calls")
        return self._board

    def _opened_store(self) -> CallStore:
        if self._store is None:
            raise ApplianceError("the call store is not open: the appliance is not running")
        return self._store


def _voice(model: Path, config: Path | None) -> Synthesizer:
    """A brand's own voice, loaded once per process (the profile names its file)."""
    try:
        return shared_registry().synthesizer(model, config, config_key="brands.voice")
    except ModelError as exc:
        raise ApplianceError(str(exc), code=ErrorCode.MODEL) from exc
