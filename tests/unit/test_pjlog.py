"""PJSIP's log lines lose the packet and any caller data before they reach the log."""

import logging

import pytest

from sip.pjlog import python_level, redact

PACKET_ERROR = (
    "18:44:12.122   sip_transport.c  Error processing 612 bytes packet from UDP 10.0.0.9:5060 : PJSIP syntax "
    "error exception when parsing 'From' header on line 3 col 7:\r\n"
    "INVITE sip:reception@10.0.0.2 SIP/2.0\r\n"
    'From: "Ann Lee" <sip:+15550199887@10.0.0.9>;tag=1\r\n'
    "To: <tel:+15550100>\r\n\r\n-- end of packet."
)


def test_a_malformed_packet_is_logged_without_its_contents() -> None:
    line = redact(PACKET_ERROR)
    assert line.startswith("sip_transport.c  Error processing 612 bytes packet from UDP 10.0.0.9:5060")
    assert "'From' header on line 3" in line
    for private in ("15550199887", "Ann Lee", "INVITE", "\n"):
        assert private not in line


@pytest.mark.parametrize(("raw", "expected"), [
    ("Call 1: from sip:+15550199887@10.0.0.9;transport=udp", "Call 1: from sip:…@10.0.0.9;transport=udp"),
    ('Remote "Sam Rivera" <tel:5550199887>', 'Remote "…" <tel:…>'),
    ("sips:bob@example.org and SIP:alice@x", "sips:…@example.org and SIP:…@x"),
])
def test_uri_user_parts_and_display_names_are_masked(raw: str, expected: str) -> None:
    assert redact(raw) == expected


def test_levels_map_to_logging_levels() -> None:
    assert python_level(1) == logging.ERROR
    assert python_level(3) == logging.INFO
    assert python_level(5) == logging.DEBUG
