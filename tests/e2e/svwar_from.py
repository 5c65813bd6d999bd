"""svwar (SIPVicious' extension enumerator) from a chosen source address, run by the system Python (Debian's
sipvicious package runs on /usr/bin/python3).

    /usr/bin/python3 tests/e2e/svwar_from.py SOURCE PORT METHOD RANGE

Debian's svwar 0.3.3 accepts `-b BINDINGIP` but never hands it to its scanner, so its packets always leave from
the default address. This runs svwar's own scanner class (`TakeASip`, the code behind the command, with its
`friendly-scanner` user agent and its requests unchanged) bound to SOURCE, against 127.0.0.1:PORT (RANGE as
svwar's -e, e.g. 100-199), and prints one JSON line: the extensions it reported and how ({"100": "noauth", ...})
and the scanner's log lines.
"""

from __future__ import annotations

import json
import logging
import sys

sys.path.insert(0, "/usr/share/sipvicious")

from sipvicious.libs.svhelper import getRange  # Debian's sipvicious package
from sipvicious.svwar import TakeASip


def main() -> None:
    source, port, method, extensions = sys.argv[1:5]
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    scanner = TakeASip("127.0.0.1", bindingip=source, port=int(port), method=method, localport=5060,
                       guessmode=1, guessargs=(getRange(extensions), 0, None, False),
                       enableack=method == "INVITE", maxlastrecvtime=5, socktimeout=3)
    scanner.start()
    found = {str(key): str(value) for key, value in scanner.resultauth.items()}
    print(json.dumps({"found": found, "log": lines}))


if __name__ == "__main__":
    main()
