"""The call event bus: order per subscriber, isolation from slow and failing subscribers, and a call's playout
that never waits for a subscriber."""

from __future__ import annotations

import asyncio
import threading

from appliance.bus import EventBus
from appliance.call.events import CallEnded, CallEvent, CallStarted, DtmfPressed, Outcome
from appliance.reception.profile import BusinessProfile
from appliance.switchboard import Switchboard
from sip.control import LineControl
from sip.events import CallInfo
from sip.media import FrameQueue
from tests.unit.test_callrun import FakeEngines, make


def test_each_subscriber_gets_every_event_in_order() -> None:
    bus, seen = EventBus(), []
    bus.subscribe(lambda call_id, event: seen.append((call_id, event)), backlog=None)
    events = [DtmfPressed(str(d), float(d)) for d in range(50)]
    for event in events:
        bus.publish("c1", event)
    bus.close()
    assert seen == [("c1", e) for e in events]


def test_a_failing_subscriber_neither_stops_itself_nor_others() -> None:
    bus, good, bad_calls = EventBus(), [], []

    def bad(call_id: str, event: CallEvent) -> None:
        bad_calls.append(event)
        raise RuntimeError("disk full")

    bus.subscribe(bad, name="bad")
    bus.subscribe(lambda _c, e: good.append(e))
    for d in "12":
        bus.publish("c1", DtmfPressed(d, 0.0))
    bus.close()
    assert len(good) == 2 and len(bad_calls) == 2


def test_a_stuck_subscriber_drops_beyond_its_backlog_and_never_blocks_publish() -> None:
    bus, release, fast = EventBus(), threading.Event(), []
    bus.subscribe(lambda _c, _e: release.wait(), name="stuck", backlog=3)
    bus.subscribe(lambda _c, e: fast.append(e), backlog=None)
    for d in range(100):
        bus.publish("c1", DtmfPressed(str(d), 0.0))  # returns at once though "stuck" handles nothing
    unsubscribe_fast_done = threading.Event()
    bus.subscribe(lambda _c, _e: unsubscribe_fast_done.set(), backlog=None)
    bus.publish("c1", DtmfPressed("x", 0.0))
    assert unsubscribe_fast_done.wait(5.0)
    release.set()
    bus.close()
    assert len(fast) == 101


def test_unsubscribe_stops_delivery() -> None:
    bus, seen = EventBus(), []
    unsubscribe = bus.subscribe(lambda _c, e: seen.append(e), backlog=None)
    bus.publish("c1", DtmfPressed("1", 0.0))
    unsubscribe()
    bus.publish("c1", DtmfPressed("2", 0.0))
    bus.close()
    assert [e.digit for e in seen if isinstance(e, DtmfPressed)] == ["1"]


async def test_a_slow_subscriber_does_not_delay_the_greeting(profile: BusinessProfile) -> None:
    """A subscriber stuck on the first event (a hung notification channel) while a call is answered: the
    greeting still reaches the line, and the call log subscriber still gets the whole call."""
    bus, release, logged = EventBus(), threading.Event(), []
    bus.subscribe(lambda _c, _e: release.wait(), name="stuck")
    bus.subscribe(lambda c, e: logged.append((c, e)), name="log", backlog=None)
    engines = FakeEngines(None, None, None)  # type: ignore[arg-type]
    ctx = make(profile, engines).run.ctx
    board = Switchboard(lambda _called: ctx, bus, asyncio.get_running_loop())
    playout = FrameQueue()
    control = LineControl(_NoCommands(), "k1", playout)
    board.on_call_started(CallInfo("k1", "5550100", "Ann", "desk", "sip-1", "127.0.0.1:5060", "PCMU", control))
    for _ in range(200):
        if len(playout):
            break
        await asyncio.sleep(0.01)
    assert len(playout) > 0 and not release.is_set()  # the greeting is queued; "stuck" has not returned yet
    board.on_call_ended("k1", "caller hung up")
    await board.drain()
    release.set()
    await asyncio.to_thread(bus.close)
    (first_id, first), (_, last) = logged[0], logged[-1]
    assert isinstance(first, CallStarted) and first.sip_call_id == "sip-1" and first.source == "127.0.0.1:5060"
    assert isinstance(last, CallEnded) and last.outcome is Outcome.ABANDONED
    assert {call_id for call_id, _ in logged} == {first.call_id} == {first_id}  # one id for the whole call


class _NoCommands:
    def hangup(self, key: str) -> None:
        pass

    def transfer(self, key: str, target: str) -> None:
        pass
