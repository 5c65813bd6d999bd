"""Pure SIP helpers: caller ID parsing, the source filter, the frame queue, a bridge's idle callbacks, the PJSIP
thread's timers and the transfer state machine (REFER first, dial-and-bridge when the peer refuses it)."""

from types import SimpleNamespace

import pjsua2 as pj
import pytest

from sip.bridge import FrameBridge
from sip.events import TransferHow
from sip.media import FRAME_BYTES, SILENCE, FrameQueue
from sip.timers import Timers
from sip.transfer import REFER_GRACE_S, TransferDesk, bridge_after
from sip.uri import SourceFilter, parse_party, request_user, transfer_uri


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"Alice Smith" <sip:+15550142@pbx.lan>', ("+15550142", "Alice Smith")),
        ("<sip:1001@127.0.0.1:5070;transport=udp>", ("1001", "")),
        ("sip:bob@example.org", ("bob", "")),
        ("Bob <sips:200@pbx;user=phone>", ("200", "Bob")),
    ],
)
def test_parse_party(header: str, expected: tuple[str, str]) -> None:
    assert parse_party(header) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("INVITE sip:bikes@10.0.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9\r\n\r\n", "bikes"),
        ("INVITE sips:+12125550300@box.lan;user=phone SIP/2.0\r\n", "+12125550300"),
        ("INVITE sip:10.0.0.2 SIP/2.0\r\n", ""),  # no user part
        ("INVITE tel:+15550100 SIP/2.0\r\n", ""),
        ("SIP/2.0 200 OK\r\n", ""),  # not a request
        ("", ""),
        ("INVITE sip:a@b\r\n", ""),  # no version: not a request line
    ],
)
def test_request_user(message: str, expected: str) -> None:
    assert request_user(message) == expected


def test_source_filter() -> None:
    allowed = SourceFilter(["127.0.0.0/8", "192.168.1.0/24", "::1/128"])
    assert allowed.allows("127.0.0.1:5060")
    assert allowed.allows("192.168.1.77:5060")
    assert allowed.allows("[::1]:5062")
    assert not allowed.allows("192.168.2.1:5060")
    assert not allowed.allows("8.8.8.8:5060")
    assert not allowed.allows("garbage")


def test_frame_queue_plays_in_order_and_clears() -> None:
    queue = FrameQueue()
    queue.extend([b"a", b"b", b"c"])
    assert queue.pop() == b"a" and len(queue) == 2
    assert queue.clear() == 2 and queue.pop() is None and queue.sent == 1


def test_a_bridge_being_torn_down_serves_nobody() -> None:
    """At shutdown Python clears a bridge's attributes before its port leaves the conference bridge; a media
    callback in that window must play silence and drop the frame, not raise."""
    bridge = FrameBridge.__new__(FrameBridge)  # no instance attributes, as during deallocation
    requested = SimpleNamespace(type=None, buf=None, size=0)
    bridge.onFrameRequested(requested)
    assert requested.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and bytes(requested.buf) == SILENCE
    bridge.onFrameReceived(SimpleNamespace(type=pj.PJMEDIA_FRAME_TYPE_AUDIO, size=FRAME_BYTES, buf=SILENCE))


def test_transfer_targets_are_uris_or_numbers_at_the_peer() -> None:
    assert transfer_uri("sip:anna@pbx.example", "10.0.0.2:5060") == "sip:anna@pbx.example"
    assert transfer_uri(" 201 ", "10.0.0.2:5060") == "sip:201@10.0.0.2:5060"
    assert transfer_uri("+15550100", "[::1]:5060") == "sip:+15550100@[::1]:5060"
    for bad in ("", "anna smith", "201@evil", "<sip:x>"):
        with pytest.raises(ValueError, match="cannot transfer"):
            transfer_uri(bad, "10.0.0.2:5060")


def test_timers_run_what_is_due_in_order() -> None:
    timers, ran = Timers(), []
    timers.at(2.0, lambda: ran.append("b"))
    timers.at(1.0, lambda: ran.append("a"))
    timers.at(1.0, lambda: timers.at(1.5, lambda: ran.append("added")))
    timers.run_due(0.5)
    assert ran == []
    timers.run_due(1.6)
    assert ran == ["a", "added"] and len(timers) == 1


class _Lines:
    """The endpoint as the desk sees it: a log of what it was asked to do."""

    def __init__(self, refer_sent: bool = True, bridged: bool = True) -> None:
        self.refer_sent, self.bridged = refer_sent, bridged
        self.log: list[tuple[object, ...]] = []

    def refer_now(self, key: str, uri: str) -> bool:
        self.log.append(("refer", key, uri))
        return self.refer_sent

    def new_key(self) -> str:
        return "leg"

    def dial_now(self, key: str, uri: str, ring_timeout_s: float, transfer_of: str | None) -> None:
        self.log.append(("dial", key, uri, ring_timeout_s, transfer_of))

    def bridge_now(self, key_a: str, key_b: str) -> bool:
        self.log.append(("bridge", key_a, key_b))
        return self.bridged

    def hangup(self, key: str) -> None:
        self.log.append(("hangup", key))


class _Results:
    def __init__(self) -> None:
        self.results: list[tuple[str, str, bool, int, str]] = []

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        self.results.append((key, target_uri, ok, status, how))


URI = "sip:201@10.0.0.2:5060"


def _desk(**lines: bool) -> tuple[TransferDesk, _Lines, _Results, Timers]:
    fake, results, timers = _Lines(**lines), _Results(), Timers()
    return TransferDesk(fake, results, timers, clock=lambda: 100.0), fake, results, timers


def test_an_accepted_refer_ends_our_leg_once_the_target_answers() -> None:
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 20.0, True)
    assert desk.progress("c1", 100, final=False)  # 202 Accepted: keep listening to NOTIFYs
    assert desk.progress("c1", 180, final=False)
    assert not desk.progress("c1", 200, final=True)
    assert lines.log == [("refer", "c1", URI), ("hangup", "c1")]
    assert results.results == [("c1", URI, True, 200, "refer")] and len(desk) == 0


def test_a_refused_refer_dials_the_target_and_bridges_it() -> None:
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 15.0, True)
    assert not desk.progress("c1", 501, final=True)
    assert lines.log[-1] == ("dial", "leg", URI, 15.0, "c1") and results.results == []
    desk.leg_answered("c1", "leg")
    assert lines.log[-1] == ("bridge", "c1", "leg")
    assert results.results == [("c1", URI, True, 200, "bridged")]


@pytest.mark.parametrize("status", [486, 603, 408])
def test_a_fallback_call_not_answered_leaves_the_caller_up(status: int) -> None:
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 20.0, True)
    desk.progress("c1", 405, final=True)
    desk.leg_failed("c1", "leg", status)
    assert results.results == [("c1", URI, False, status, "bridged")]
    assert ("hangup", "c1") not in lines.log


def test_the_targets_own_no_is_not_retried_but_a_peers_failure_is() -> None:
    assert not bridge_after(486, accepted=True) and not bridge_after(603, accepted=True)
    assert bridge_after(503, accepted=True) and bridge_after(486, accepted=False)
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 20.0, True)
    desk.progress("c1", 100, final=False)
    desk.progress("c1", 486, final=True)  # the NOTIFY: the target is busy
    assert results.results == [("c1", URI, False, 486, "refer")]
    assert [entry[0] for entry in lines.log] == ["refer"]


def test_no_fallback_when_not_asked_and_one_transfer_at_a_time() -> None:
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 20.0, False)
    desk.begin("c1", "sip:other@pbx", 20.0, False)
    desk.progress("c1", 501, final=True)
    assert results.results == [("c1", "sip:other@pbx", False, 491, "refer"), ("c1", URI, False, 501, "refer")]
    assert [entry[0] for entry in lines.log] == ["refer"]


def test_a_refer_that_cannot_be_sent_falls_back_at_once() -> None:
    desk, lines, _, _ = _desk(refer_sent=False)
    desk.begin("c1", URI, 20.0, True)
    assert lines.log[-1] == ("dial", "leg", URI, 20.0, "c1")


def test_a_refer_without_an_outcome_times_out_and_a_late_success_still_ends_the_leg() -> None:
    desk, lines, results, timers = _desk()
    desk.begin("c1", URI, 20.0, True)
    desk.progress("c1", 100, final=False)
    timers.run_due(100.0 + 20.0 + REFER_GRACE_S - 0.1)
    assert results.results == []
    timers.run_due(100.0 + 20.0 + REFER_GRACE_S)
    assert results.results == [("c1", URI, False, 408, "refer")]
    assert not desk.progress("c1", 200, final=True)
    assert lines.log[-1] == ("hangup", "c1")


def test_a_caller_who_hangs_up_during_the_fallback_takes_the_ringing_leg_down() -> None:
    desk, lines, results, _ = _desk()
    desk.begin("c1", URI, 20.0, True)
    desk.progress("c1", 501, final=True)
    desk.call_ended("c1")
    assert lines.log[-1] == ("hangup", "leg")
    desk.leg_answered("c1", "leg")  # answered just too late
    assert lines.log[-1] == ("hangup", "leg") and results.results == []


def test_a_bridge_that_fails_hangs_up_the_leg_and_reports_it() -> None:
    desk, lines, results, _ = _desk(bridged=False)
    desk.begin("c1", URI, 20.0, True)
    desk.progress("c1", 501, final=True)
    desk.leg_answered("c1", "leg")
    assert lines.log[-1] == ("hangup", "leg") and results.results == [("c1", URI, False, 500, "bridged")]
