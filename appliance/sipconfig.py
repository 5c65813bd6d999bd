"""The SIP endpoint's settings from the appliance config, with the registration passwords read from their files."""

from __future__ import annotations

from pathlib import Path

from appliance.config import Settings
from appliance.errors import ConfigError
from sip.admission import AdmissionLimits
from sip.config import EndpointConfig, RegistrationConfig


def endpoint_config(settings: Settings) -> EndpointConfig:
    """The SIP endpoint's settings from the appliance config."""
    s = settings.sip
    regs = tuple(RegistrationConfig(r.registrar, r.user, r.domain, _secret(r.password_file)) for r in s.registrations)
    call = settings.call
    limits = AdmissionLimits(call.max_concurrent_calls, min(call.max_calls_per_source, call.max_concurrent_calls),
                             s.invites_per_second_per_source, s.invite_burst_per_source,
                             trunk_sources=tuple(s.trunk_sources))
    return EndpointConfig(s.bind_address, s.port, tuple(s.transports), s.rtp_port, s.rtp_port_range,
                          tuple(s.allowed_sources), tuple(s.codecs), s.identity, limits, regs)


def _secret(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the SIP password file {path}: {exc.strerror}; check "
                       "[[sip.registrations]] password_file") from exc
