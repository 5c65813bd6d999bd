"""The panel's plain-HTTP listener: it only sends browsers to the HTTPS panel, on the same host name."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def https_location(host_header: str, https_port: int, path: str, query: str) -> str | None:
    """Where a plain-HTTP request goes: the same host on the HTTPS port; None for a malformed Host header."""
    match = _HOST.match(host_header)
    if match is None:
        return None
    port = "" if https_port == 443 else f":{https_port}"
    return f"https://{match.group(1)}{port}{path}{'?' + query if query else ''}"


def redirect_app(https_port: int) -> ASGIApp:
    """An ASGI app answering every request with a permanent redirect to HTTPS (400 without a usable Host)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        location = https_location(Headers(scope=scope).get("host", ""), https_port, path,
                                  scope.get("query_string", b"").decode("latin-1"))
        status, headers = (308, [(b"location", location.encode())]) if location else (400, [])
        body = b"" if location else b"Use https:// and this box's name or address.\n"
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-type", b"text/plain"), (b"cache-control", b"no-store"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app
