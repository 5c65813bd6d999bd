"""Creating and configuring the pjsua2 library: transports, null audio device, codecs, accounts."""

from __future__ import annotations

from typing import Any

import pjsua2 as pj

from sip import pjlog
from sip.config import LIBRARY_MAX_CALLS, EndpointConfig, RegistrationConfig, SipError

_TRANSPORTS = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP}
_CODEC_PREFIX = {"G722": "G722/", "PCMU": "PCMU/", "PCMA": "PCMA/"}
# The log writers handed to PJSIP: it calls them until the process ends (one library per process), so they are
# kept here rather than by an endpoint that may be collected first.
_WRITERS: list[pjlog.RedactingWriter] = []


def create_library(config: EndpointConfig) -> Any:
    """Create, configure and start the endpoint; raise SipError with advice if it cannot listen."""
    ep = pj.Endpoint()
    ep.libCreate()
    try:
        ep.libInit(_endpoint_config(config))
        for name in config.transports:
            _listen(ep, config, name)
        ep.libStart()
        ep.audDevManager().setNullDev()
        _set_codecs(ep, config.codecs)
    except SipError:
        ep.libDestroy()
        raise
    except pj.Error as exc:
        ep.libDestroy()
        raise SipError(f"cannot start the SIP endpoint: {exc.info()}") from exc
    return ep


def _endpoint_config(config: EndpointConfig) -> Any:
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = LIBRARY_MAX_CALLS
    cfg.uaConfig.userAgent = "receptionist-appliance"
    _WRITERS.append(pjlog.install(cfg.logConfig, config.log_level))  # caller data never reaches the log
    cfg.medConfig.clockRate = 16000
    cfg.medConfig.sndClockRate = 16000
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    cfg.medConfig.threadCnt = 1
    return cfg


def _listen(ep: Any, config: EndpointConfig, name: str) -> None:
    tcfg = pj.TransportConfig()
    tcfg.port = config.port
    tcfg.boundAddress = config.bind_address
    try:
        ep.transportCreate(_TRANSPORTS[name], tcfg)
    except pj.Error as exc:
        raise SipError(
            f"cannot listen for SIP on {config.bind_address}:{config.port}/{name}: {exc.reason}. "
            "Set [sip] port (or bind_address) to a free one, or stop the other SIP service."
        ) from exc


def _set_codecs(ep: Any, wanted: tuple[str, ...]) -> None:
    for info in ep.codecEnum2():
        codec_id = str(info.codecId)
        priority = 0
        for rank, name in enumerate(wanted):
            if codec_id.startswith(_CODEC_PREFIX[name]):
                priority = 250 - rank
        ep.codecSetPriority(codec_id, priority)


def make_account_config(config: EndpointConfig, reg: RegistrationConfig | None) -> Any:
    """The default catch-all account (reg None) or one registered at a PBX or trunk."""
    acfg = pj.AccountConfig()
    host = config.bind_address if config.bind_address not in ("0.0.0.0", "::") else "127.0.0.1"
    acfg.idUri = f"sip:{config.identity}@{host}"
    acfg.mediaConfig.transportConfig.port = config.rtp_port
    acfg.mediaConfig.transportConfig.portRange = config.rtp_port_range
    if config.bind_address not in ("0.0.0.0", "::"):
        acfg.mediaConfig.transportConfig.boundAddress = config.bind_address
    if reg is not None:
        domain = reg.domain or reg.registrar.split(":", 1)[1]
        acfg.idUri = f"sip:{reg.user}@{domain}"
        acfg.regConfig.registrarUri = reg.registrar
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", reg.user, 0, reg.password))
    return acfg
