"""Nothing leaves the box: a full session (a real call with the embedded models, a panel sign-in, retention, a
backup) runs in a network namespace with only loopback, under strace; every address any process of it tried to
reach must be on loopback (or a local socket). A network namespace makes a stray connection fail rather than
leak, and strace records the attempt either way."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support import ROOT


def _can_unshare() -> bool:
    """Whether this user may make a network namespace (root, or a container that allows it)."""
    if shutil.which("strace") is None or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False).returncode == 0


pytestmark = [pytest.mark.sip,
              pytest.mark.skipif(not _can_unshare(), reason="needs strace, unshare and the right to make a "
                                 "network namespace (setup --dev; run as root)")]
_CALL = re.compile(r"^\d+(?:<[^>]*>)? (connect|sendto|sendmsg|sendmmsg)\(")
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_INET = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6?, "([^"]+)"')
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
# Reaching for these is not egress, each for its stated reason; nothing else beyond loopback is allowed.
ALLOWED = {
    ("connect", "1.1.1.1", 53): "PJSIP finds its default interface by connect()ing a UDP socket to 1.1.1.1:53; "
                                "a UDP connect sends no packet",
    ("connect", "192.0.2.1", 9): "appliance/certs.py finds the box's own addresses for its certificate the same "
                                 "way, towards documentation addresses (RFC 5737) that are never routed",
    ("connect", "2001:db8::1", 9): "the same for IPv6 (RFC 3849)",
}


def destinations(trace: str) -> tuple[set[tuple[str, str, int]], set[str]]:
    """(system call, address, port) of every connect/sendto/sendmsg to an IP address in an strace log, and the
    address families used."""
    reached, families = set(), set()
    for line in trace.splitlines():
        call = _CALL.match(line)
        if call is None:
            continue
        families.update(_FAMILY.findall(line))
        address, port = _INET.search(line), _PORT.search(line)
        if address is not None:
            reached.add((call.group(1), address.group(1) or address.group(2), int(port.group(1)) if port else 0))
    return reached, families


def outside_loopback(reached: set[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    """What was reached beyond loopback (an unspecified address is a local bind, never a destination), less
    the allowed."""
    def local(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return ip.is_loopback or ip.is_unspecified
    return {r for r in reached if not local(r[1]) and r not in ALLOWED}


def test_the_parser_finds_addresses_and_families() -> None:
    trace = ('12<python> connect(5, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.1")}, '
             '16) = -1\n'
             '13 sendto(6, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(5060), '
             'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 1\n'
             '14 connect(7, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0\n'
             '15 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("1.1.1.1")}, 16) = -1\n')
    reached, families = destinations(trace)
    assert reached == {("connect", "10.0.0.1", 53), ("sendto", "::1", 5060), ("connect", "1.1.1.1", 53)}
    assert families == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert outside_loopback(reached) == {("connect", "10.0.0.1", 53)}


def test_a_whole_session_reaches_nothing_beyond_loopback(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    session = (f"ip link set lo up && exec strace -f -qq -Y --seccomp-bpf -e signal=none "
               f"-e trace=connect,sendto,sendmsg,sendmmsg,execve,clone,clone3,fork,vfork -o {trace} "
               f"{sys.executable} -m tests.e2e.egress_session {tmp_path}")
    done = subprocess.run(["unshare", "--net", "sh", "-c", session], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"answered": True, "turns": result["turns"], "listed": 1, "retention": 0, "backup": 0,
                      "stopped": 0}, result
    assert result["turns"] >= 1
    reached, families = destinations(trace.read_text())
    assert any(address == "127.0.0.1" for _, address, _ in reached)  # the watch saw the call's own traffic
    assert outside_loopback(reached) == set(), sorted(reached)
    assert families <= {"AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_UNSPEC"}, families
