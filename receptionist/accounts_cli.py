"""The console's `users` and `certs` commands: panel accounts (there is no default account: the first owner is
made here or from a one-time setup link) and the panel's TLS certificate."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from appliance.accounts.service import Accounts, open_accounts
from appliance.certs import box_addresses, box_names, make_certificate
from appliance.cli import SubParsers
from appliance.config import Settings, load_settings
from appliance.errors import ApplianceError
from appliance.storage.store import CallStore
from web.permissions import Role
from web.principal import ROLE_RULES

ROLES = [str(role) for role in Role]


def _with_accounts(args: argparse.Namespace, work: Callable[[Accounts, Settings], int]) -> int:
    settings = load_settings(args.config)
    store = CallStore.open(settings)
    try:
        return work(open_accounts(store, ROLE_RULES), settings)
    finally:
        store.close()


def _password(username: str) -> str:
    """The new user's password: asked twice on a terminal (not shown), else one line of standard input."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {username} (at least 12 characters, not shown): ")
        if getpass.getpass("the same password again: ") != password:
            raise ApplianceError("the two passwords differ; run the command again")
    if not password:
        raise ApplianceError("no password given: type it when asked, or pipe it in (e.g. < password.txt)")
    return password


def _cmd_add(args: argparse.Namespace) -> int:
    def work(accounts: Accounts, settings: Settings) -> int:
        accounts.add_user(args.username, _password(args.username), args.role, "cli")
        second = " They set up an authenticator app at their first sign-in." if args.role in ("owner", "admin") else ""
        print(f"added {args.username} as {args.role}: sign in at {panel_url(settings, args.host)}signin.{second}")
        return 0

    return _with_accounts(args, work)


def _cmd_list(args: argparse.Namespace) -> int:
    def work(accounts: Accounts, settings: Settings) -> int:
        users = accounts.list_users()
        if not users:
            print("no users yet: add the first owner with 'receptionist users add --role owner NAME', or make a "
                  "one-time link with 'receptionist users setup-link'")
            return 0
        print(f"{'user':<24} {'role':<8} {'authenticator':<14} {'state':<9} created")
        for user in users:
            made = time.strftime("%Y-%m-%d", time.localtime(user["created_at"]))
            print(f"{user['username']:<24} {user['role']:<8} {'on' if user['has_totp'] else 'off':<14} "
                  f"{'disabled' if user['disabled'] else 'enabled':<9} {made}")
        return 0

    return _with_accounts(args, work)


def _cmd_change(args: argparse.Namespace) -> int:
    def work(accounts: Accounts, settings: Settings) -> int:
        user_id = accounts.user_id_of(args.username)
        if args.action == "disable":
            accounts.set_disabled(user_id, True, "cli")
        elif args.action == "enable":
            accounts.set_disabled(user_id, False, "cli")
        elif args.action == "role":
            accounts.set_role(user_id, args.role, "cli")
        else:
            accounts.reset_second_factor(user_id, "cli")
        done = {"disable": "disabled", "enable": "enabled", "role": f"now {args.role}",
                "reset-2fa": "without an authenticator: they set up a new one at their next sign-in"}
        print(f"{args.username} is {done[args.action]}; their sessions have ended")
        return 0

    return _with_accounts(args, work)


def _cmd_setup_link(args: argparse.Namespace) -> int:
    def work(accounts: Accounts, settings: Settings) -> int:
        if args.if_no_users and accounts.count_users():
            return 0
        token = accounts.create_setup_link(args.role)
        print(f"Open this link to create the {args.role} account (it works once, for 24 hours; keep it private):")
        print(f"  {panel_url(settings, args.host)}setup/{token}")
        return 0

    return _with_accounts(args, work)


def panel_url(settings: Settings, host: str | None = None) -> str:
    """The panel's address as a user types it: the given host, else the bind address, else the box's name."""
    web = settings.web
    if host is None:
        host = web.bind_address if web.bind_address not in ("0.0.0.0", "::") else socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"https://{host}{'' if web.port == 443 else f':{web.port}'}/"


def _cmd_certs(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    web = settings.web
    if not args.force and (web.certificate.exists() or web.key.exists()):
        print(f"the panel's certificate {web.certificate} exists already (add --force to make a new one)")
        return 0
    try:
        addresses = [*box_addresses(web.bind_address), *(ipaddress.ip_address(a) for a in args.address)]
    except ValueError as exc:
        raise ApplianceError(f"--address: {exc}") from None
    made = make_certificate(web.certificate, web.key, [*box_names(), *args.name], list(dict.fromkeys(addresses)),
                            force=True)
    print(f"wrote {made.certificate} and {made.key} (owner-only), a self-signed certificate for "
          f"{', '.join(made.names + made.addresses)}")
    print("its SHA-256 fingerprint (compare it when the browser asks to accept the certificate):\n  "
          f"{made.fingerprint}")
    return 0


def add_commands(sub: SubParsers, config_help: str) -> None:
    """Add `users` (add, list, disable, enable, role, reset-2fa, setup-link) and `certs make`."""
    _add_users(sub, config_help)
    p = sub.add_parser("certs", help="'certs make': a self-signed TLS certificate for the panel, for this box's "
                                     "names and addresses")
    p.add_argument("action", choices=["make"])
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--name", action="append", default=[], help="another host name it is for (repeatable)")
    p.add_argument("--address", action="append", default=[], help="another IP address it is for (repeatable)")
    p.add_argument("--force", action="store_true", help="replace the existing certificate and key")
    p.set_defaults(func=_cmd_certs)


def _add_users(sub: SubParsers, config_help: str) -> None:
    users = sub.add_parser("users", help="panel accounts: add, list, disable, enable, role, reset-2fa, setup-link")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("add", help="add a user; the password is asked for (or read from standard input)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("username")
    p.set_defaults(func=_cmd_add)
    actions.add_parser("list", help="list the users").set_defaults(func=_cmd_list)
    for action, text in (("disable", "stop a user signing in (their sessions and API tokens end)"),
                         ("enable", "let a disabled user sign in again"),
                         ("reset-2fa", "remove a user's authenticator app and recovery codes (lost phone)")):
        p = actions.add_parser(action, help=text)
        p.add_argument("username")
        p.set_defaults(func=_cmd_change)
    p = actions.add_parser("role", help="give a user another role")
    p.add_argument("username")
    p.add_argument("role", choices=ROLES)
    p.set_defaults(func=_cmd_change)
    p = actions.add_parser("setup-link", help="print a one-time link (24 hours) that creates an account")
    p.add_argument("--role", default="owner", choices=ROLES, help="the account's role (default: owner)")
    p.add_argument("--if-no-users", action="store_true", help="print nothing if any user exists (for setup.sh)")
    p.set_defaults(func=_cmd_setup_link)
    for name, parser in actions.choices.items():
        parser.add_argument("--config", type=Path, default=None, help=config_help)
        if name in ("add", "setup-link"):
            parser.add_argument("--host", default=None, help="the box's name or address in the printed link")
