"""`python -m jobs.bankops`: the bank's back-office tool (relationship managers, not sellers).

    python -m jobs.bankops create-company ACME01 --name "PT Acme Niaga" [--whitelist]
    python -m jobs.bankops whitelist ACME01          # or: dewhitelist ACME01
    python -m jobs.bankops create-user ACME01 rina --role product-manager --name "Rina Wijaya"
    python -m jobs.bankops block ACME01 rina [--reason "..."]
    python -m jobs.bankops unblock ACME01 rina       # also resets the count of failed passwords
    python -m jobs.bankops reset-password ACME01 rina
    python -m jobs.bankops delete-user ACME01 rina
    python -m jobs.bankops list-users ACME01
    python -m jobs.bankops list-companies
    python -m jobs.bankops api-client create livin-merchant --scope buyer-app   # prints its token once
    python -m jobs.bankops api-client rotate livin-merchant   # a new token; the old one stops at once
    python -m jobs.bankops api-client revoke jne             # or: api-client list
    python -m jobs.bankops webhook add livin-merchant https://hooks.example.com/kopra   # prints its secret once
    python -m jobs.bankops webhook add jne https://jne.example.com/kopra --topics order.packed,order.shipped
    python -m jobs.bankops webhook list                      # or: webhook remove ID
    python -m jobs.bankops webhook parked                    # deliveries refused for 24 hours
    python -m jobs.bankops webhook replay ID [ID ...]        # or: webhook replay --all

Every action is written to the audit log with the operator's name (--operator, by default the
operating-system user) and the time in UTC. create-user and reset-password print a one-time
password: hand it to the user, who must change it at the next login. api-client create and rotate
print the client's bearer token once: hand it to the integrating team over a secure channel. webhook add
prints the endpoint's signing secret once, for the same team: their receiver checks the Kopra-Signature
header with it. The worker that sends webhooks is `python -m jobs.webhooks`. A refused action ends with
one sentence on stderr and exit code 1 (a configuration problem: 2).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from core.accounts import bankops
from core.clock import utc_now
from core.domain import ApiScope, Role
from core.errors import DomainError, InvalidInput
from core.integration import clients, webhooks
from core.store.database import Store
from jobs.entry import prepared, run_command

ROLE_CHOICES = [role.value.lower().replace("_", "-") for role in Role]
SCOPE_CHOICES = [scope.value.lower().replace("_", "-") for scope in ApiScope]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one sentence (no usage dump), like every other refusal."""

    def error(self, message: str):
        print(f"kopra: {message[0].upper()}{message[1:]} (see python -m jobs.bankops --help).", file=sys.stderr)
        sys.exit(2)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a container without a passwd entry)
        return ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m jobs.bankops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # Accepted before or after the subcommand; after it wins.
    operator = argparse.ArgumentParser(add_help=False)
    operator.add_argument(
        "--operator",
        default=argparse.SUPPRESS,
        help="who is acting, for the audit log (default: the operating-system user)",
    )
    parser.add_argument("--operator", default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, *, user: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[operator])
        sub.add_argument("company_id", metavar="COMPANY_ID")
        if user:
            sub.add_argument("user_id", metavar="USER_ID")
        return sub

    create_company = command("create-company", "onboard a company (not whitelisted unless --whitelist)")
    create_company.add_argument("--name", required=True, help="the company's legal name")
    create_company.add_argument("--whitelist", action="store_true", help="whitelist it at once")
    command("whitelist", "allow a company to use Kopra Partnership")
    command("dewhitelist", "take a company off the whitelist (its users lose access at once)")
    create_user = command("create-user", "create a user; prints a one-time password", user=True)
    create_user.add_argument("--role", required=True, choices=ROLE_CHOICES)
    create_user.add_argument("--name", required=True, help="the person's name")
    block = command("block", "block a user (their sessions end at once)", user=True)
    block.add_argument("--reason", default="", help="why, for the audit log")
    command("unblock", "reactivate a blocked user and reset their failed-password count", user=True)
    command("reset-password", "give a user a new one-time password; prints it", user=True)
    command("delete-user", "remove a user from the service", user=True)
    command("list-users", "list a company's users with status and last login")
    commands.add_parser("list-companies", help="list every company and whether it is whitelisted", parents=[operator])
    api_client = commands.add_parser(
        "api-client", help="the systems that call the HTTP API (the buyer app, couriers)", parents=[operator]
    )
    client_commands = api_client.add_subparsers(dest="client_command", required=True, metavar="ACTION")
    create = client_commands.add_parser("create", help="register a client; prints its token once", parents=[operator])
    create.add_argument("name", metavar="NAME")
    create.add_argument("--scope", required=True, choices=SCOPE_CHOICES)
    for action, text in (("rotate", "a new token; the old one stops at once"), ("revoke", "its token stops at once")):
        client_commands.add_parser(action, help=text, parents=[operator]).add_argument("name", metavar="NAME")
    client_commands.add_parser("list", help="every client with its scope and state", parents=[operator])
    _webhook_commands(commands, operator)
    return parser


def _webhook_commands(commands, operator: argparse.ArgumentParser) -> None:
    webhook = commands.add_parser(
        "webhook", help="where API clients hear of events: signed HTTP POSTs", parents=[operator]
    )
    actions = webhook.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="a client's endpoint; prints its signing secret once", parents=[operator])
    add.add_argument("client", metavar="CLIENT")
    add.add_argument("url", metavar="URL")
    add.add_argument("--topics", help="comma-separated, e.g. order.placed,order.accepted (default: every topic)")
    actions.add_parser("list", help="every endpoint with its topics and what waits there", parents=[operator])
    remove = actions.add_parser("remove", help="send nothing more to an endpoint", parents=[operator])
    remove.add_argument("endpoint_id", metavar="ID", type=int)
    actions.add_parser("parked", help="deliveries refused for 24 hours, waiting for a replay", parents=[operator])
    replay = actions.add_parser("replay", help="send parked deliveries again", parents=[operator])
    replay.add_argument("delivery_ids", metavar="ID", type=int, nargs="*", help="the parked deliveries to send again")
    replay.add_argument("--all", action="store_true", help="every parked delivery")


def _open_store() -> Store:
    return prepared().store


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _print_users(rows: list[bankops.UserRow]) -> None:
    header = ("USER ID", "NAME", "ROLE", "STATUS", "FAILED", "MUST CHANGE", "LAST LOGIN")
    _print_table(
        header,
        [
            (
                r.user_code,
                r.display_name,
                r.role.label,
                r.status,
                str(r.failed_login_count),
                "yes" if r.must_change_password else "no",
                _when(r.last_login_at),
            )
            for r in rows
        ],
    )


def _print_one_time_password(otp: bankops.OneTimePassword) -> None:
    print(f"One-time password for {otp.company_code}/{otp.user_code}: {otp.password}")
    print("Hand it to the user in person or by phone; they must change it at their next login.")


def perform(args: argparse.Namespace, store: Store) -> None:
    """Run one back-office command; DomainError when the bank's rules refuse it."""
    who = dict(operator=args.operator, now=utc_now())
    name = args.command
    if name == "api-client":
        _api_client(args, store, who)
        return
    if name == "webhook":
        _webhook(args, store, who)
        return
    if name == "list-companies":
        for row in bankops.list_companies(store, **who):
            print(f"{row.company_code}  {'whitelisted' if row.is_whitelisted else 'not whitelisted'}  {row.name}")
        return
    company = args.company_id
    if name == "create-company":
        row = bankops.create_company(store, company_code=company, name=args.name, whitelisted=args.whitelist, **who)
        print(
            f"Company {row.company_code} ({row.name}) created, "
            f"{'whitelisted' if row.is_whitelisted else 'not whitelisted yet'}."
        )
    elif name in ("whitelist", "dewhitelist"):
        row = bankops.set_whitelisted(store, company_code=company, whitelisted=name == "whitelist", **who)
        print(
            f"Company {row.company_code} is {'now' if row.is_whitelisted else 'no longer'} whitelisted "
            "for Kopra Partnership."
        )
    elif name == "create-user":
        otp = bankops.create_user(
            store,
            company_code=company,
            user_code=args.user_id,
            display_name=args.name,
            role=bankops.parse_role(args.role),
            **who,
        )
        print(f"User {otp.company_code}/{otp.user_code} created as {bankops.parse_role(args.role).label}.")
        _print_one_time_password(otp)
    elif name == "block":
        row = bankops.block_user(store, company_code=company, user_code=args.user_id, reason=args.reason, **who)
        print(f"User {row.company_code}/{row.user_code} is blocked.")
    elif name == "unblock":
        row = bankops.unblock_user(store, company_code=company, user_code=args.user_id, **who)
        print(f"User {row.company_code}/{row.user_code} is active again; failed-password count reset.")
    elif name == "reset-password":
        _print_one_time_password(bankops.reset_password(store, company_code=company, user_code=args.user_id, **who))
    elif name == "delete-user":
        row = bankops.delete_user(store, company_code=company, user_code=args.user_id, **who)
        print(f"User {row.company_code}/{row.user_code} is deleted.")
    elif name == "list-users":
        _print_users(bankops.list_users(store, company_code=company, **who))


def _api_client(args: argparse.Namespace, store: Store, who: dict) -> None:
    action = args.client_command
    if action == "list":
        for row in clients.list_clients(store, **who):
            state = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "active"
            print(f"{row.name}  {row.scope.value.lower().replace('_', '-')}  key {row.key_id}  {state}")
        return
    if action == "revoke":
        row = clients.revoke_client(store, name=args.name, **who)
        print(f"API client {row.name}: its token no longer works.")
        return
    if action == "create":
        issued = clients.create_client(store, name=args.name, scope=clients.parse_scope(args.scope), **who)
        print(f"API client {issued.name} registered ({issued.scope.value.lower().replace('_', '-')}).")
    else:
        issued = clients.rotate_client(store, name=args.name, **who)
        print(f"API client {issued.name} has a new token; the old one no longer works.")
    print(f"Token (shown once, kept only as a hash): {issued.token}")
    print("Hand it to the integrating team over a secure channel; it goes in the Authorization: Bearer header.")


def _topics(raw: str | None) -> list[str] | None:
    return None if raw is None else [topic for topic in raw.split(",") if topic.strip()]


def _topics_shown(topics: tuple[str, ...] | None) -> str:
    return "every topic" if topics is None else ",".join(topics)


def _webhook(args: argparse.Namespace, store: Store, who: dict) -> None:
    action = args.webhook_command
    if action == "add":
        issued = webhooks.add_endpoint(store, client_name=args.client, url=args.url, topics=_topics(args.topics), **who)
        print(
            f"Webhook endpoint {issued.id} added for {issued.client_name}: {issued.url} "
            f"({_topics_shown(issued.topics)})."
        )
        print(f"Signing secret (shown once, never again): {issued.secret}")
        print(
            "Hand it to the integrating team over a secure channel; "
            f"their receiver checks the {webhooks.SIGNATURE_HEADER} header with it."
        )
    elif action == "list":
        rows = webhooks.list_endpoints(store, **who)
        header = ("ID", "CLIENT", "URL", "TOPICS", "STATE", "PENDING", "PARKED")
        _print_table(
            header,
            [
                (
                    str(r.id),
                    r.client_name,
                    r.url,
                    _topics_shown(r.topics),
                    f"removed {_when(r.disabled_at)}" if r.disabled_at else "active",
                    str(r.pending),
                    str(r.parked),
                )
                for r in rows
            ],
        )
    elif action == "remove":
        row = webhooks.remove_endpoint(store, endpoint_id=args.endpoint_id, **who)
        print(f"Webhook endpoint {row.id} ({row.url}) is removed; nothing more is sent to it.")
    elif action == "parked":
        _print_parked(webhooks.parked(store, **who))
    else:
        _replay(args, store, who)


def _print_parked(rows: list[webhooks.ParkedRow]) -> None:
    if not rows:
        print("No delivery is parked.")
        return
    header = ("DELIVERY", "CLIENT", "EVENT", "TOPIC", "ORDER", "ATTEMPTS", "SINCE", "LAST ERROR")
    _print_table(
        header,
        [
            (
                str(r.delivery_id),
                r.client_name,
                f"evt_{r.event_id}",
                r.topic,
                r.order_number or "-",
                str(r.attempts),
                _when(r.created_at),
                (r.last_error or "-")[:80],
            )
            for r in rows
        ],
    )


def _replay(args: argparse.Namespace, store: Store, who: dict) -> None:
    if args.all == bool(args.delivery_ids):
        raise InvalidInput("Name the parked deliveries to replay by id, or say --all (not both).")
    replayed = webhooks.replay(store, delivery_ids=None if args.all else args.delivery_ids, **who)
    print(f"{replayed} parked {'delivery goes' if replayed == 1 else 'deliveries go'} out again now.")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.operator = args.operator or _os_user()
    store = _open_store()
    try:
        perform(args, store)
    except DomainError as exc:
        print(f"kopra: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    return 0


if __name__ == "__main__":
    run_command(main)
