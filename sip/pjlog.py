"""PJSIP's own log lines, sent through Python logging with caller data taken out.

PJSIP logs a packet it cannot parse whole ("Error processing 612 bytes packet from UDP 10.0.0.9:5060 ...:"
followed by the packet, From header and all), and at higher levels every SIP message. Those would put callers'
numbers and names in the server log. Every entry is cut to its first line, and the user part of any SIP or tel
URI and any quoted display name in that line are masked. The source address stays: it is what an admin needs
to block a scanner, and our own refusals log it too (sip.gate)."""

from __future__ import annotations

import logging
import re

import pjsua2 as pj

_LOGGER = logging.getLogger("sip.pjsip")
# PJSIP levels: 0 fatal, 1 error, 2 warning, 3 info, 4+ debug.
_LEVELS = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}
_URI_USER = re.compile(r"\b(sips?|tel):[^@\s;>,]*@?", re.IGNORECASE)
_DISPLAY_NAME = re.compile(r'"[^"\n]*"')
_TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}\s+")  # PJSIP's own time stamp (logging adds one)


def redact(message: str) -> str:
    """The first line of a PJSIP log entry, with URIs' user parts and display names masked."""
    first = message.strip("\r\n").split("\n", 1)[0].rstrip("\r")
    first = _TIMESTAMP.sub("", first)
    first = _URI_USER.sub(lambda m: f"{m.group(1)}:…@" if m.group(0).endswith("@") else f"{m.group(1)}:…", first)
    return _DISPLAY_NAME.sub('"…"', first)


def python_level(pjsip_level: int) -> int:
    """The logging level of a PJSIP log level."""
    return _LEVELS.get(pjsip_level, logging.DEBUG)


class RedactingWriter(pj.LogWriter):  # type: ignore[misc]  # pjsua2 has no type hints
    """Receives every PJSIP log entry (on PJSIP's threads) and logs it redacted."""

    def write(self, entry: pj.LogEntry) -> None:
        """One PJSIP log entry."""
        level = python_level(int(entry.level))
        if _LOGGER.isEnabledFor(level):
            _LOGGER.log(level, "%s", redact(str(entry.msg)))


def install(log_config: pj.LogConfig, level: int) -> RedactingWriter:
    """Route PJSIP's log through `RedactingWriter`; the caller keeps the writer alive until libDestroy()."""
    writer = RedactingWriter()
    log_config.writer = writer
    log_config.level = level
    log_config.consoleLevel = level
    log_config.msgLogging = False  # whole SIP messages are never wanted in the log
    return writer
