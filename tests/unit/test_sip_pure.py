"""Pure SIP helpers: caller ID parsing, the source filter, the frame queue and a bridge's idle callbacks."""

from types import SimpleNamespace

import pjsua2 as pj
import pytest

from sip.bridge import FrameBridge
from sip.media import FRAME_BYTES, SILENCE, FrameQueue
from sip.uri import SourceFilter, parse_party, transfer_uri


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
