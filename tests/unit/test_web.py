"""The panel's listening sockets, its plain-HTTP redirect and its certificate (the app itself: tests/web)."""

import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from appliance.certs import box_addresses, check_tls_files, ensure_certificate, make_certificate
from appliance.config import WebSettings
from appliance.errors import ApplianceError
from web.redirect import https_location
from web.server import panel_socket


def test_a_busy_panel_port_says_what_to_do() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(ApplianceError, match=rf"cannot serve the panel on 127\.0\.0\.1:{port}.*\[web\] port"):
            panel_socket(WebSettings(bind_address="127.0.0.1", port=port))
        with pytest.raises(ApplianceError, match=r"\[web\] redirect_port"):
            panel_socket(WebSettings(bind_address="127.0.0.1", port=8443, redirect_port=port), port)
    panel_socket(WebSettings(bind_address="127.0.0.1", port=port)).close()  # free again: bound at once


@pytest.mark.parametrize(("host", "expected"), [
    ("box.local:8080", "https://box.local:8443/calls?page=2"),
    ("192.168.1.20", "https://192.168.1.20:8443/calls?page=2"),
    ("[fd00::2]:8080", "https://[fd00::2]:8443/calls?page=2"),
    ("evil.example/x", None),
    ("", None),
])
def test_plain_http_only_redirects_to_the_same_host_over_https(host: str, expected: str | None) -> None:
    assert https_location(host, 8443, "/calls", "page=2") == expected


def test_a_self_signed_certificate_for_the_box(tmp_path: Path) -> None:
    cert, key = tmp_path / "panel.crt", tmp_path / "panel.key"
    with pytest.raises(ApplianceError, match="receptionist certs make"):
        check_tls_files(cert, key)
    made = make_certificate(cert, key, ["box", "box.local"], box_addresses("192.0.2.10"))
    assert key.stat().st_mode & 0o777 == 0o600 and len(made.fingerprint.split(":")) == 32
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["box", "box.local"]
    assert {"127.0.0.1", "192.0.2.10"} <= {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    with pytest.raises(ApplianceError, match="--force"):
        make_certificate(cert, key, ["box"], [])
    context = ssl.create_default_context(cafile=str(cert))  # a client that trusts it checks it like any other
    context.load_cert_chain(cert, key)


def test_a_data_folder_without_a_certificate_gets_one_and_half_a_pair_is_an_error(tmp_path: Path) -> None:
    cert, key = tmp_path / "panel.crt", tmp_path / "panel.key"
    made = ensure_certificate(cert, key, "127.0.0.1")
    assert made is not None and cert.is_file() and ensure_certificate(cert, key, "127.0.0.1") is None
    key.unlink()
    with pytest.raises(ApplianceError, match=r"TLS key .*panel\.key is missing"):
        ensure_certificate(cert, key, "127.0.0.1")
