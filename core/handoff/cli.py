"""Signer commands: ``users add|list|deactivate|role|passwd|export-key``, ``sign`` and ``amend``.

The checklist of an approved assessment is not edited from the command line until ``amend FILE --reason
TEXT`` records why, the same rule as the window's Amend: ``checklist import`` stops with exit 2 and nothing
written.  As in the window, recording an analysis run is not held back (it is audited and invalidates the
signatures), and signing or managing signers changes no signed content.

The same rules as the GUI apply (administrator, order, separation of duties, lockout); every refusal is
in the audit trail.  Exit 0: done.  Exit 1: refused (wrong password, locked, out of order, not allowed).
Exit 2: unusable input (missing file, bad key file, no password on stdin), one ``error: ...`` line.

Passwords are read from standard input with ``--password-stdin``, one per line, never from arguments.
For ``users add`` on an assessment that already has an administrator, the first line is the
administrator's password and the second the new signer's (no second line with ``--public-key``).
"""

from __future__ import annotations

import sys

from core.cli.output import WRITE_GATES, emit_json, open_existing, table
from core.errors import PreflightError
from core.handoff.approval import refuse_edit_when_approved

CLI_MEANINGS = {"authored": "authorship", "reviewed": "review", "approved": "approval"}


def register(sub) -> None:
    p = sub.add_parser("users", help="the signers of an assessment: add, list, export a public key")
    usub = p.add_subparsers(dest="action", metavar="ACTION")
    a = usub.add_parser("add", help="add a signer (the first becomes the administrator)")
    a.add_argument("file")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=("preparer", "reviewer", "approver"))
    a.add_argument("--admin", default=None, help="the administrator's name (needed once the assessment has one)")
    a.add_argument("--password-stdin", action="store_true",
                   help="read passwords from stdin: the administrator's (when needed), then the signer's")
    a.add_argument("--public-key", default=None, metavar="F.pub",
                   help="the signer's exported public key (their key stays on their machine)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_users_add)
    ls = usub.add_parser("list", help="list the signers with role, administrator flag and key fingerprint")
    ls.add_argument("file")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_users_list)
    d = usub.add_parser("deactivate", help="deactivate a signer (the administrator's password on stdin)")
    d.add_argument("file")
    d.add_argument("name")
    d.add_argument("--admin", required=True)
    d.add_argument("--reason", default="")
    d.add_argument("--password-stdin", action="store_true")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=cmd_users_deactivate)
    r = usub.add_parser("role", help="change a signer's role (the administrator's password on stdin)")
    r.add_argument("file")
    r.add_argument("name")
    r.add_argument("--role", required=True, choices=("preparer", "reviewer", "approver"))
    r.add_argument("--admin", required=True)
    r.add_argument("--password-stdin", action="store_true")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=cmd_users_role)
    pw = usub.add_parser("passwd", help="change a signer's password: stdin holds the current, then the new one")
    pw.add_argument("file")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    pw.add_argument("--json", action="store_true")
    pw.set_defaults(handler=cmd_users_passwd)
    e = usub.add_parser("export-key", help="write a signer's public key from this machine's profile")
    e.add_argument("name")
    e.add_argument("--out", required=True, metavar="F.pub")
    e.add_argument("--json", action="store_true")
    e.set_defaults(handler=cmd_export_key)

    s = sub.add_parser("sign", help="sign the assessment's current content; exit 1 when refused")
    s.add_argument("file")
    s.add_argument("--user", required=True)
    s.add_argument("--meaning", required=True, choices=tuple(CLI_MEANINGS))
    s.add_argument("--override-reason", default=None)
    s.add_argument("--password-stdin", action="store_true", help="read the signer's password from stdin")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_sign)

    m = sub.add_parser("amend", help="record why an approved assessment is changed (the change then voids its "
                                     "signatures); needed before its checklist can be edited")
    m.add_argument("file")
    m.add_argument("--reason", required=True, help="why it is changed (at least 10 characters; audited)")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=cmd_amend)
    if refuse_edit_when_approved not in WRITE_GATES:
        WRITE_GATES.append(refuse_edit_when_approved)


def _read_passwords(count: int, enabled: bool) -> list[str]:
    if count == 0:
        return []
    if not enabled:
        raise PreflightError("a password is needed: pass --password-stdin and write it on standard input")
    out = []
    for n in range(count):
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise PreflightError(f"standard input has no password on line {n + 1} (expected {count} line(s))")
        out.append(password)
    return out


def _refused(args, message: str) -> int:
    if getattr(args, "json", False):
        emit_json({"ok": False, "refused": message})
    print(f"refused: {message}", file=sys.stderr)
    return 1


def cmd_users_add(args) -> int:
    from core.handoff import accounts, keys

    public_key = keys.read_public_key_file(args.public_key) if args.public_key else None
    with open_existing(args.file, gate=False) as store:
        admin = accounts.administrator(store)
        existing = store.user_by_name(args.name.strip())
        needs_admin = admin is not None and not (existing is not None and existing["is_admin"])
        if needs_admin and not args.admin:
            raise PreflightError(f"{args.file} has an administrator ({admin['name']}): pass --admin "
                                 f"{admin['name']!r} with their password on the first line of stdin")
        own = 0 if public_key is not None else 1
        passwords = _read_passwords(int(needs_admin) + own, args.password_stdin)
        admin_password = passwords[0] if needs_admin else None
        password = passwords[-1] if own else None
        try:
            uid = accounts.add_user(store, args.name, args.role, password, admin_password=admin_password,
                                    admin=args.admin if needs_admin else None, public_key=public_key)
        except PreflightError as exc:
            return _refused(args, str(exc))
        user = store.user(uid)
    if args.json:
        emit_json({"ok": True, "file": str(args.file), "id": uid, "name": user["name"], "role": user["role"],
                   "administrator": user["is_admin"], "fingerprint": user["fingerprint"]})
    else:
        admin_note = " (administrator)" if user["is_admin"] else ""
        print(f"added {user['name']} as {user['role']}{admin_note}; key fingerprint {user['fingerprint']}")
    return 0


def cmd_users_list(args) -> int:
    with open_existing(args.file, gate=False) as store:
        users = store.users()
    if args.json:
        emit_json({"users": [{k: u[k] for k in ("id", "name", "role", "is_admin", "active", "fingerprint",
                                                "locked_until")} for u in users]})
    else:
        rows = [[u["id"], u["name"], u["role"], "yes" if u["is_admin"] else "", "yes" if u["active"] else "no",
                 u["fingerprint"] or "(no key: re-enrol)"] for u in users]
        print(table(rows, ["id", "name", "role", "admin", "active", "fingerprint"]))
    return 0


def _user_change(args, action, count: int) -> int:
    with open_existing(args.file, gate=False) as store:
        user = store.user_by_name(args.name)
        if user is None:
            raise PreflightError(f"{args.file}: no user named {args.name!r} (see: users list {args.file})")
        passwords = _read_passwords(count, args.password_stdin)
        try:
            message = action(store, user, passwords)
        except PreflightError as exc:
            return _refused(args, str(exc))
    if args.json:
        emit_json({"ok": True, "file": str(args.file), "name": user["name"], "done": message})
    else:
        print(message)
    return 0


def cmd_users_deactivate(args) -> int:
    from core.handoff import accounts

    def act(store, user, pw):
        accounts.deactivate_user(store, user["id"], pw[0], args.reason, admin=args.admin)
        return f"deactivated {user['name']}"
    return _user_change(args, act, 1)


def cmd_users_role(args) -> int:
    from core.handoff import accounts

    def act(store, user, pw):
        accounts.set_role(store, user["id"], args.role, pw[0], admin=args.admin)
        return f"{user['name']}'s role is now {args.role}"
    return _user_change(args, act, 1)


def cmd_users_passwd(args) -> int:
    from core.handoff import accounts

    def act(store, user, pw):
        accounts.change_password(store, user["id"], pw[0], pw[1])
        return f"changed {user['name']}'s password (the key is re-encrypted; its fingerprint is unchanged)"
    return _user_change(args, act, 2)


def cmd_export_key(args) -> int:
    from core.handoff import profiles

    key = profiles.export_public_key(args.name, args.out)
    if args.json:
        emit_json({"ok": True, "name": key.name, "fingerprint": key.fingerprint, "out": str(args.out)})
    else:
        print(f"wrote {args.name}'s public key to {args.out} (fingerprint {key.fingerprint})")
    return 0


def cmd_sign(args) -> int:
    from core.handoff import signing

    with open_existing(args.file, gate=False) as store:
        user = store.user_by_name(args.user)
        if user is None:
            raise PreflightError(f"{args.file}: no user named {args.user!r} (see: users list {args.file})")
        meaning = CLI_MEANINGS[args.meaning]
        try:
            password = _read_passwords(1, args.password_stdin)[0]
        except PreflightError as exc:
            store.record_failed_signing(user["name"], meaning, str(exc))
            raise
        try:
            sig_id = signing.sign(store, user["id"], password, meaning, args.override_reason)
        except PreflightError as exc:
            return _refused(args, str(exc))
        row = next(r for r in store.signature_rows() if r["id"] == sig_id)
        stage = signing.stage(store)
    if args.json:
        emit_json({"ok": True, "file": str(args.file), "signature_id": sig_id, "user": row["user_name"],
                   "meaning": row["meaning"], "signed_utc": row["signed_utc"], "fingerprint": row["fingerprint"],
                   "audit_head": {"seq": row["head_seq"], "hash": row["head_hash"]}, "stage": stage})
    else:
        print(f"{row['user_name']} signed for {row['meaning']} at {row['signed_utc']} "
              f"(key {row['fingerprint']}); stage: {stage}")
    return 0


def cmd_amend(args) -> int:
    from core.handoff import approval, signature_checks

    with open_existing(args.file, gate=False) as store:
        states = signature_checks.signature_states(store)  # checked once for both questions
        if not approval.is_approved(store, states):
            raise PreflightError(f"{args.file}: not approved; it can be changed without an amendment")
        voided = approval.signatures_an_edit_voids(store, states)
        amendment = approval.amend(store, args.reason)
    gone = [{"id": s.id, "user_name": s.user_name, "meaning": s.meaning} for s in voided]
    if args.json:
        emit_json({"file": str(args.file), "reason": amendment.reason, "audit_seq": amendment.seq,
                   "invalidates": gone})
    else:
        names = ", ".join(f"{g['user_name']} ({g['meaning']})" for g in gone)
        print(f"amendment recorded (audit event {amendment.seq}); the next change invalidates "
              f"{len(gone)} signature{'s' if len(gone) != 1 else ''}: {names}")
    return 0
