"""The PROTOS c07-sip suite (4,527 malformed INVITEs, University of Oulu) against a running appliance.

    .venv/bin/python -m bench.protos                  # every case over UDP, 500 over TCP, plus the extra cases
    .venv/bin/python -m bench.protos --every 10 --tcp 50   # the sample the test suite runs

Each case is the INVITE then its teardown (CANCEL), from 127.0.0.2 (an allowed source, so the full appliance
sees it; a case PJSIP can parse becomes a call, up to the per-source limit); after each, an OPTIONS probe must
be answered within 500 ms. Then the extra cases (an unknown method, an oversized message, a header flood), and
a genuine call from 127.0.0.1, another source. Prints the cases sent, probes missed, the slowest
probe, the appliance's memory before and after, and whether a caller's number reached its log.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.support import WITH_TCP, place_call, start_appliance

# The team's shared fixtures beside the project (never committed here); PROTOS_ARCHIVE points elsewhere.
ARCHIVE = Path(os.environ.get("PROTOS_ARCHIVE", Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sip"
                              / "protos-c07-sip.tar.gz"))
CALLER_NUMBER = "15550199887"  # the From of every case: it must never appear in the appliance's log
PROBE_TIMEOUT_S = 0.5
FUZZER = "127.0.0.2"  # where the cases come from
TCP_GAP_S = 0.1  # between TCP cases: 10 connections a second (at ~60 per 500 ms the SIP library aborts)


@dataclass(frozen=True)
class Case:
    """One PROTOS case: its INVITE and teardown templates (placeholders not yet filled)."""

    name: str
    invite: bytes
    teardown: bytes


@dataclass
class Result:
    """What one run of cases did to the appliance."""

    sent: int = 0
    missed: list[str] = field(default_factory=list)  # cases after which the probe was not answered in time
    slowest_s: float = 0.0

    def add(self, name: str, answered_in: float | None) -> None:
        self.sent += 1
        if answered_in is None:
            self.missed.append(name)
        else:
            self.slowest_s = max(self.slowest_s, answered_in)


def split_messages(raw: bytes) -> list[bytes]:
    """The length-prefixed messages of a case file: `<decimal length> <bytes>` repeated."""
    messages, at = [], 0
    while at < len(raw):
        space = raw.index(b" ", at)
        length = int(raw[at:space])
        messages.append(raw[space + 1 : space + 1 + length])
        at = space + 1 + length
    return messages


def read_cases(folder: Path, archive: Path = ARCHIVE) -> list[Case]:
    """Unpack the suite into `folder` and read every case, in order."""
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    cases = []
    for path in sorted((folder / "protos").iterdir()):
        invite, teardown = split_messages(path.read_bytes())[:2]
        cases.append(Case(path.name, invite, teardown))
    return cases


def fill(template: bytes, target: tuple[str, int], local_port: int, transport: str = "UDP") -> bytes:
    """A case's message with its placeholders filled; Content-Length counts the body as sent."""
    host, port = target
    values = {b"<To>": f"reception@{host}:{port}".encode(), b"<From>": f"+{CALLER_NUMBER}@{FUZZER}".encode(),
              b"<From-Address>": FUZZER.encode(), b"<From-IP>": FUZZER.encode(),
              b"<Local-Port>": str(local_port).encode(),
              b"<Branch-ID>": uuid.uuid4().hex[:10].encode(), b"<Call-ID>": uuid.uuid4().hex.encode(),
              b"<CSeq>": b"1", b"<Teardown-Method>": b"CANCEL"}
    message = template
    for placeholder, value in values.items():
        message = message.replace(placeholder, value)
    if transport != "UDP":
        message = message.replace(b"SIP/2.0/UDP", f"SIP/2.0/{transport}".encode())
    head, sep, body = message.partition(b"\r\n\r\n") if b"\r\n\r\n" in message else message.partition(b"\n\n")
    head = head.replace(b"<Content-Length>", str(len(body)).encode())
    return head + sep + body


class Prober:
    """Sends cases and OPTIONS probes over UDP from `FUZZER` and waits for each probe's answer."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((FUZZER, 0))
        self.port = int(self.sock.getsockname()[1])

    def send(self, message: bytes) -> None:
        with contextlib.suppress(OSError):  # e.g. a message over the 64 KB datagram limit: nothing went out
            self.sock.sendto(message, self.target)

    def probe(self, timeout: float = PROBE_TIMEOUT_S) -> float | None:
        """Seconds until the appliance answered an OPTIONS, or None if it did not within `timeout`."""
        call_id = uuid.uuid4().hex
        host, port = self.target
        self.send(options(call_id, host, port, self.port))
        started = time.monotonic()
        deadline = started + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                return None
            if data.startswith(b"SIP/2.0 ") and call_id.encode() in data:
                return time.monotonic() - started
        return None

    def close(self) -> None:
        self.sock.close()


def options(call_id: str, host: str, port: int, local_port: int, method: str = "OPTIONS") -> bytes:
    """A minimal well-formed request (OPTIONS by default) from `FUZZER`:`local_port`."""
    return (f"{method} sip:reception@{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {FUZZER}:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{FUZZER}>;tag=probe\r\n"
            f"To: <sip:reception@{host}:{port}>\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\n"
            "User-Agent: protos-bench\r\nContent-Length: 0\r\n\r\n").encode()


def run_udp(cases: list[Case], prober: Prober) -> Result:
    """Each case's INVITE and teardown over UDP, then a probe."""
    result = Result()
    for case in cases:
        prober.send(fill(case.invite, prober.target, prober.port))
        prober.send(fill(case.teardown, prober.target, prober.port))
        result.add(case.name, prober.probe())
    return result


def run_tcp(cases: list[Case], prober: Prober, gap_s: float = TCP_GAP_S) -> Result:
    """Each case over its own TCP connection (a broken Content-Length must not spill into the next case),
    `gap_s` apart: PJSIP aborts when connections churn faster than it recycles their slots (docs/hardening.md)."""
    result = Result()
    for case in cases:
        time.sleep(gap_s)
        with socket.create_connection(prober.target, timeout=2.0, source_address=(FUZZER, 0)) as conn:
            port = int(conn.getsockname()[1])
            try:
                conn.sendall(fill(case.invite, prober.target, port, "TCP"))
                conn.sendall(fill(case.teardown, prober.target, port, "TCP"))
            except OSError:  # the appliance closed a connection it could not make sense of
                pass
        result.add(case.name, prober.probe())
    return result


def extra_cases(host: str, port: int, local_port: int) -> Iterator[tuple[str, bytes]]:
    """What PROTOS does not try: an unknown method, an oversized message, a flood of headers."""
    yield "unknown-method", options(uuid.uuid4().hex, host, port, local_port, method="FROBNICATE")
    big = options(uuid.uuid4().hex, host, port, local_port).replace(b"Content-Length: 0", b"X-Pad: " + b"a" * 60000
                                                                     + b"\r\nContent-Length: 0")
    yield "oversized", big
    flood = b"".join(f"X-Flood-{n}: {n}\r\n".encode() for n in range(3000))
    yield "header-flood", options(uuid.uuid4().hex, host, port, local_port).replace(b"Max-Forwards", flood
                                                                                    + b"Max-Forwards")


def run_extras(prober: Prober) -> Result:
    """The extra cases, each followed by a probe."""
    result = Result()
    for name, message in extra_cases(*prober.target, prober.port):
        prober.send(message)
        result.add(name, prober.probe())
    return result


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB."""
    found = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) / 1024 if found else 0.0


def report(label: str, result: Result) -> str:
    missed = f", missed after {result.missed[:10]}" if result.missed else ""
    return (f"{label}: {result.sent} cases, {result.sent - len(result.missed)} probes answered within "
            f"{PROBE_TIMEOUT_S * 1000:.0f} ms (slowest {result.slowest_s * 1000:.1f} ms){missed}")


def main() -> None:
    """Start an appliance, replay the suite, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="take every Nth case over UDP (1: all)")
    parser.add_argument("--tcp", type=int, default=500, help="cases over TCP (spread over the suite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-protos-") as tmp:
        cases = read_cases(Path(tmp) / "suite")
        appliance = start_appliance(Path(tmp) / "data", replace=WITH_TCP)
        prober = Prober(("127.0.0.1", appliance.sip_port))
        try:
            run_udp(cases[:20], prober)  # warm PJSIP's pools before the memory baseline
            before, started = rss_mb(appliance.process.pid), time.monotonic()
            print(report("UDP", run_udp(cases[:: args.every], prober)))
            print(report("TCP", run_tcp(cases[:: max(1, len(cases) // max(1, args.tcp))][: args.tcp], prober)))
            print(report("extra", run_extras(prober)))
            after = rss_mb(appliance.process.pid)
            print(f"{time.monotonic() - started:.0f} s; RSS {before:.0f} MB before, {after:.0f} MB after "
                  f"({after - before:+.1f} MB); appliance {'alive' if appliance.process.poll() is None else 'DEAD'}")
            call = place_call(appliance.uri(), Path(tmp) / "call", "--hangup-in-greeting", "1.0")
            print(f"a genuine call afterwards: {'answered' if call.get('answered') else 'NOT answered'}")
            leaked = CALLER_NUMBER in appliance.log.read_text()
            print(f"the caller's number in the appliance's log: {'YES' if leaked else 'no'}")
        finally:
            prober.close()
            appliance.stop()


if __name__ == "__main__":
    main()
