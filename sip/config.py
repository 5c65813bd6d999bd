"""The SIP endpoint's own settings and their defaults: the appliance's `[sip]` config section takes its
defaults from here (`appliance.config.SipSettings`), so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

from sip.admission import AdmissionLimits

# PJSUA_MAX_CALLS of the pjsua2-python wheel: a larger uaConfig.maxCalls is silently cut to this. More calls
# need more appliance processes (behind Kamailio) or a pjproject build with larger limits.
LIBRARY_MAX_CALLS = 4
LAN_AND_LOOPBACK = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10")


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
    transports: tuple[str, ...] = ("udp",)
    rtp_port: int = 4000
    rtp_port_range: int = 200
    allowed_sources: tuple[str, ...] = LAN_AND_LOOPBACK
    codecs: tuple[str, ...] = ("G722", "PCMU", "PCMA")
    identity: str = "receptionist"
    limits: AdmissionLimits = field(default_factory=AdmissionLimits)
    registrations: tuple[RegistrationConfig, ...] = field(default_factory=tuple)
    log_level: int = 1


class SipError(Exception):
    """The endpoint could not start or do what was asked; the message says what to do."""
