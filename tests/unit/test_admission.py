"""Who gets a line: the admission policy, with plain numbers for time."""

from sip.admission import (
    ADMIT,
    BUSY,
    FORBIDDEN,
    OVERLOADED,
    Admission,
    AdmissionLimits,
    TokenBucket,
    is_scanner,
    user_agent,
)
from sip.uri import SourceFilter

LAN = SourceFilter(["127.0.0.0/8", "192.168.0.0/16"])


def admission(**limits: object) -> Admission:
    return Admission(AdmissionLimits(**limits), LAN)  # type: ignore[arg-type]


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert bucket.take(10.0) and bucket.tokens == 2.0  # never more than the burst


def test_sources_outside_the_allowed_networks_are_forbidden() -> None:
    gate = admission()
    assert gate.decide("8.8.8.8:5060", 0.0) == FORBIDDEN
    assert gate.decide("garbage", 0.0) == FORBIDDEN
    assert gate.decide("192.168.1.9:5060", 0.0) == ADMIT


def test_only_allowed_sources_and_trunks_are_answered_at_all_and_never_a_scanning_tool() -> None:
    gate = admission(trunk_sources=("203.0.113.0/24",))
    assert gate.welcomes("192.168.1.9:5060") and gate.welcomes("203.0.113.5:5060", "Asterisk PBX 20.5")
    assert not gate.welcomes("8.8.8.8:5060") and not gate.welcomes("garbage")
    assert not gate.welcomes("192.168.1.9:5060", "friendly-scanner")
    assert not gate.welcomes("203.0.113.5:5060", "sipvicious/0.3.4")


def test_the_user_agent_is_read_from_the_raw_message_and_scanners_are_known_by_its_first_word() -> None:
    message = b"OPTIONS sip:100@1.1.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP x\r\nuser-agent:  friendly-scanner \r\n\r\n"
    assert user_agent(message) == "friendly-scanner" and is_scanner("friendly-scanner")
    assert user_agent(b"OPTIONS sip:a@b SIP/2.0\r\nX-User-Agent: sipcli\r\n\r\n") == ""  # not the header
    assert is_scanner("SIPVicious/0.3.4") and is_scanner("sipcli/v1.8") and is_scanner("VaxSIPUserAgent/3.1")
    assert not is_scanner("") and not is_scanner("Yealink SIP-T46S 66.86.0.15")
    assert not is_scanner("receptionist-appliance") and not is_scanner("my friendly-scanner-free phone")


def test_trunk_sources_are_allowed_even_outside_allowed_sources() -> None:
    gate = admission(trunk_sources=("203.0.113.0/24",))
    assert gate.decide("203.0.113.5:5060", 0.0) == ADMIT


def test_a_flood_from_one_source_is_limited_to_its_rate() -> None:
    gate = admission(invites_per_second_per_source=1.0, invite_burst_per_source=4, max_calls_per_source=4)
    codes = [gate.decide("192.168.1.9:5060", 0.0) for _ in range(10)]
    assert codes == [ADMIT] * 4 + [OVERLOADED] * 6
    assert gate.decide("192.168.1.9:5060", 1.0) == ADMIT  # one more per second
    assert gate.decide("192.168.1.10:5060", 0.0) == ADMIT  # another source is not held back
    assert AdmissionLimits(invites_per_second_per_source=1.0, invite_burst_per_source=4).admitted_at_most(1.0) == 5


def test_lines_full_means_busy_and_a_line_given_back_is_free_again() -> None:
    gate = admission(max_calls=2, max_calls_per_source=2)
    for source in ("127.0.0.1:1", "127.0.0.2:1"):
        assert gate.decide(source, 0.0) == ADMIT
        gate.call_started(source)
    assert gate.decide("127.0.0.3:1", 0.0) == BUSY and gate.recheck("127.0.0.3:1") == BUSY
    gate.call_ended("127.0.0.1:5")
    assert gate.live_calls == 1 and gate.decide("127.0.0.3:1", 0.0) == ADMIT


def test_one_source_cannot_take_every_line_but_a_trunk_can() -> None:
    gate = admission(max_calls=4, max_calls_per_source=3, trunk_sources=("192.168.5.1/32",))
    for _ in range(3):
        gate.call_started("127.0.0.2:5090")
    assert gate.decide("127.0.0.2:5090", 0.0) == BUSY
    assert gate.decide("127.0.0.1:5060", 0.0) == ADMIT  # the last line stays free for everyone else
    trunk = admission(max_calls=4, max_calls_per_source=3, trunk_sources=("192.168.5.1/32",))
    for _ in range(3):
        trunk.call_started("192.168.5.1:5060")
    assert trunk.decide("192.168.5.1:5060", 0.0) == ADMIT


def test_trunks_skip_the_per_source_rate_but_not_the_overall_set_up_rate() -> None:
    gate = admission(max_calls=4, setups_per_second=5.0, setup_burst=5, trunk_sources=("192.168.5.1/32",))
    codes = [gate.decide("192.168.5.1:5060", 0.0) for _ in range(7)]
    assert codes == [ADMIT] * 5 + [OVERLOADED] * 2


def admitted_from_a_trunk(offered_per_second: float, seconds: float) -> list[float]:
    """When the default policy admits the INVITEs of a trunk offering short calls (each ends at once)."""
    gate, admitted = admission(trunk_sources=("192.168.5.1/32",)), []
    for n in range(int(offered_per_second * seconds)):
        now = n / offered_per_second
        if gate.decide("192.168.5.1:5060", now) == ADMIT:
            admitted.append(now)
            gate.call_started("192.168.5.1:5060")
            gate.call_ended("192.168.5.1:5060")
    return admitted


def test_a_trunk_gets_25_set_ups_a_second_but_never_more_than_pjsips_sockets_allow() -> None:
    assert len(admitted_from_a_trunk(25.0, 40.0)) == 1000  # bench.setups: 1,000 calls at 25/s, all answered
    admitted = admitted_from_a_trunk(1000.0, 10.0)
    busiest = max(sum(1 for t in admitted if start <= t < start + 0.5) for start in admitted)
    limits = AdmissionLimits()
    assert busiest <= limits.setup_burst + limits.setups_per_second / 2 + 1 == 24
    assert (busiest + limits.max_calls) * 2 + 2 < 64  # the RTP sockets up or closing, the listeners: PJSIP's table


def test_stopping_refuses_everything() -> None:
    gate = admission()
    gate.stopping = True
    assert gate.decide("127.0.0.1:5060", 0.0) == OVERLOADED and gate.recheck("127.0.0.1:5060") == OVERLOADED


def test_a_spoofed_source_flood_does_not_grow_memory_without_bound() -> None:
    gate = admission(max_calls_per_source=4)
    for i in range(5000):
        gate.decide(f"192.168.{i // 250}.{i % 250 + 1}:5060", 0.0)
    assert len(gate._buckets) <= 4096


def test_a_placed_leg_holds_a_line_so_the_next_caller_is_busy() -> None:
    gate = admission(max_calls=4, setups_per_second=100.0)
    for n in range(3):
        gate.call_started(f"192.168.1.{n}:5060")
    gate.leg_started()  # one caller's warm transfer rings a team member
    assert gate.live_calls == 4
    assert gate.decide("192.168.1.9:5060", 0.0) == BUSY and gate.recheck("192.168.1.9:5060") == BUSY
    gate.leg_ended()
    assert gate.live_calls == 3 and gate.decide("192.168.1.9:5060", 0.0) == ADMIT


def test_legs_count_for_no_source() -> None:
    gate = admission(max_calls=4, max_calls_per_source=2)
    gate.call_started("192.168.1.1:5060")
    gate.leg_started()  # placed for that caller, but not from its address
    assert gate.decide("192.168.1.1:5060", 0.0) == ADMIT
    gate.leg_ended()
    gate.leg_ended()  # an extra end (a leg never counted) cannot make room that is not there
    assert gate.live_calls == 1
