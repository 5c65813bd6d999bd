"""The SIP endpoint's own settings (the appliance maps its config onto these)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RegistrationConfig:
    """An account to register at a PBX or trunk."""

    registrar: str
    user: str
    domain: str = ""
    password: str = ""


@dataclass(frozen=True)
class EndpointConfig:
    """Where to listen, whom to accept, which codecs to offer."""

    bind_address: str = "0.0.0.0"
    port: int = 5060
    transports: tuple[str, ...] = ("udp", "tcp")
    rtp_port: int = 4000
    rtp_port_range: int = 200
    allowed_sources: tuple[str, ...] = ("127.0.0.0/8",)
    codecs: tuple[str, ...] = ("G722", "PCMU", "PCMA")
    identity: str = "receptionist"
    max_calls: int = 4
    registrations: tuple[RegistrationConfig, ...] = field(default_factory=tuple)
    log_level: int = 1


class SipError(Exception):
    """The endpoint could not start or do what was asked; the message says what to do."""
