"""Pure helpers for SIP URIs and addresses."""

from __future__ import annotations

import ipaddress
import re

_NAME_ADDR = re.compile(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<(?P<uri>[^>]+)>')
_USER = re.compile(r"^sips?:(?P<user>[^@;>]+)@")


def parse_party(header: str) -> tuple[str, str]:
    """(number/user, display name) from a From/To value like '"Alice" <sip:1001@pbx>'."""
    match = _NAME_ADDR.match(header)
    name, uri = (match.group("name") or "", match.group("uri")) if match else ("", header.strip())
    user = _USER.match(uri)
    return (user.group("user") if user else uri), name.strip()


def request_user(message: str) -> str:
    """The user part of a SIP request's request URI ('INVITE sip:bikes@10.0.0.2 SIP/2.0': 'bikes'; '' if none)."""
    parts = message.split("\r\n", 1)[0].split("\n", 1)[0].split()
    user = _USER.match(parts[1]) if len(parts) == 3 and parts[2].startswith("SIP/") else None
    return user.group("user") if user else ""


def source_ip(address: str) -> str:
    """The IP of a PJSIP source address: '1.2.3.4:5060' or '[::1]:5060'."""
    if address.startswith("["):
        return address[1 : address.index("]")]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


class SourceFilter:
    """Allows calls only from configured addresses and networks."""

    def __init__(self, networks: list[str]) -> None:
        self._networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def allows(self, address: str) -> bool:
        """Whether a PJSIP source address is inside one of the allowed networks."""
        try:
            ip = ipaddress.ip_address(source_ip(address))
        except ValueError:
            return False
        return any(ip in net for net in self._networks if net.version == ip.version)


_TRANSFER_USER = re.compile(r"^[A-Za-z0-9+*#._-]{1,64}$")


def transfer_uri(target: str, source: str) -> str:
    """Where a REFER points: a SIP URI as given, or a number/extension at the peer that sent the call."""
    target = target.strip()
    if target.startswith(("sip:", "sips:")):
        return target
    if not _TRANSFER_USER.match(target):
        raise ValueError(f"cannot transfer to {target!r}: give a SIP URI (sip:user@host) or a number or "
                         "extension (digits, letters, + * # . _ -)")
    return f"sip:{target}@{source}"
