"""Who gets a line: the pure policy that admits or refuses a new INVITE (numbers in, a SIP status out)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from sip.uri import SourceFilter, source_ip

ADMIT = 0
FORBIDDEN = 403  # the source is not allowed to call
BUSY = 486  # every line, or the source's share of them, is taken
OVERLOADED = 503  # too many INVITEs (from this source, or in all), or the appliance is stopping
# A PJSIP build's fixed table of sockets (64 in the pjsua2-python wheel) holds the SIP listeners (2 at most) and
# the two RTP sockets of every call that is up or ended less than 500 ms ago (a closed socket's slot is reusable
# only then; past 64 PJSIP aborts the process: 32 one-second-apart calls ended within 0.3 s did it). So the
# INVITEs let through to PJSIP in any half second, `setup_burst + setups_per_second / 2` (23 by default), plus
# the calls already up (4 lines) must stay under 30: 27 calls, 54 sockets. Answering is what costs sockets:
# INVITEs refused at the gate cost none.
_BUCKET_LIMIT = 4096  # sources remembered at most; full buckets are forgotten first
# The User-Agent values of the common SIP scanning tools (SIPVicious' svmap/svwar/svcrack send
# "friendly-scanner", newer ones "sipvicious"). No phone, PBX or trunk sends them, so requests carrying them are
# ignored from every source: a scan from inside an allowed network then rings nobody.
SCANNER_AGENTS = ("friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "iwar", "sundayddr",
                  "vaxsipuseragent", "sivus", "pplsip", "smap")
_USER_AGENT = re.compile(rb"^User-Agent[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


def user_agent(message: bytes) -> str:
    """The User-Agent header's value of a SIP message (the raw bytes), or ''."""
    match = _USER_AGENT.search(message)
    return match.group(1).decode("utf-8", "replace").strip() if match else ""


def is_scanner(agent: str) -> bool:
    """Whether a User-Agent value names a SIP scanning tool (its first word, case aside)."""
    first = agent.lower().split("/", 1)[0].split(" ", 1)[0]
    return first in SCANNER_AGENTS


@dataclass(frozen=True)
class AdmissionLimits:
    """How many calls the appliance takes, and how fast INVITEs may come."""

    max_calls: int = 4
    max_calls_per_source: int = 3
    invites_per_second_per_source: float = 5.0
    invite_burst_per_source: int = 10
    setups_per_second: float = 30.0  # all sources together, trunks included: 1,000 calls at 25/s all answered
    setup_burst: int = 8
    trunk_sources: tuple[str, ...] = ()

    def admitted_at_most(self, seconds: float) -> float:
        """The most INVITEs one source other than a trunk can have admitted in `seconds`: its burst, then its rate."""
        return self.invite_burst_per_source + self.invites_per_second_per_source * seconds


class TokenBucket:
    """A classic token bucket; time is passed in, so it is pure."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self.refill(now)
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now


class Admission:
    """Decides each new INVITE; keeps the book of live calls per source. Safe to call from any thread."""

    def __init__(self, limits: AdmissionLimits, allowed: SourceFilter, now: float = 0.0) -> None:
        self.limits = limits
        self._allowed = allowed
        self._trunks = SourceFilter(list(limits.trunk_sources))
        self._setups = TokenBucket(limits.setups_per_second, limits.setup_burst, now)
        self._buckets: dict[str, TokenBucket] = {}
        self._live: Counter[str] = Counter()
        self._legs = 0  # calls the endpoint placed itself (a warm transfer's leg, a refused REFER's bridge)
        self._lock = threading.Lock()
        self.stopping = False

    def decide(self, source: str, now: float) -> int:
        """The status for a new INVITE from `source` ('ip:port' or 'ip'): ADMIT (0) or a refusal code."""
        ip = source_ip(source)
        trunk = self._trunks.allows(ip)
        if refusal := self._unwelcome(ip, trunk):
            return refusal
        with self._lock:
            if not trunk and not self._bucket(ip, now).take(now):
                return OVERLOADED
            busy = self._busy(ip, trunk)
            if busy:
                return busy
            return ADMIT if self._setups.take(now) else OVERLOADED

    def welcomes(self, source: str, agent: str = "") -> bool:
        """Whether a request from `source` sent by `agent` (its User-Agent) deserves any answer at all: it comes
        from an allowed source or a trunk, and not from a scanning tool."""
        ip = source_ip(source)
        return (self._trunks.allows(ip) or self._allowed.allows(ip)) and not is_scanner(agent)

    def recheck(self, source: str) -> int:
        """The checks that still hold once PJSIP has taken the call (no rate spent): a second line of defence."""
        ip = source_ip(source)
        trunk = self._trunks.allows(ip)
        if refusal := self._unwelcome(ip, trunk):
            return refusal
        with self._lock:
            return self._busy(ip, trunk)

    def call_started(self, source: str) -> None:
        """A call from `source` holds a line."""
        with self._lock:
            self._live[source_ip(source)] += 1

    def call_ended(self, source: str) -> None:
        """A call from `source` gave its line back."""
        ip = source_ip(source)
        with self._lock:
            self._live[ip] -= 1
            if self._live[ip] <= 0:
                del self._live[ip]

    def leg_started(self) -> None:
        """A call the endpoint placed holds a line (a call slot of the SIP library, like any caller's)."""
        with self._lock:
            self._legs += 1

    def leg_ended(self) -> None:
        """A call the endpoint placed gave its line back."""
        with self._lock:
            self._legs = max(0, self._legs - 1)

    @property
    def live_calls(self) -> int:
        """Lines in use: callers' calls and the calls placed for them."""
        return sum(self._live.values()) + self._legs

    def _unwelcome(self, ip: str, trunk: bool) -> int:
        if self.stopping:
            return OVERLOADED
        return ADMIT if trunk or self._allowed.allows(ip) else FORBIDDEN

    def _busy(self, ip: str, trunk: bool) -> int:
        if sum(self._live.values()) + self._legs >= self.limits.max_calls:
            return BUSY  # a placed leg holds a line too: else the next caller takes the slot the leg needs
        if not trunk and self._live[ip] >= self.limits.max_calls_per_source:
            return BUSY
        return ADMIT

    def _bucket(self, ip: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(ip)
        if bucket is None:
            if len(self._buckets) >= _BUCKET_LIMIT:
                self._forget_full(now)
            limits = self.limits
            bucket = self._buckets[ip] = TokenBucket(limits.invites_per_second_per_source,
                                                     limits.invite_burst_per_source, now)
        return bucket

    def _forget_full(self, now: float) -> None:
        for ip, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._buckets[ip]
        if len(self._buckets) >= _BUCKET_LIMIT:  # a spoofed-source flood: start over rather than grow
            self._buckets.clear()
