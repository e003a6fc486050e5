"""Staff API: members (suspending and reinstating them too) and cards, the issuing station, terminal keys, adjustments and points
grants with maker-checker, messages for members, and the audit log. Every call needs a staff token whose roles grant the
permission named on the view; every call is written to the audit log."""
from __future__ import annotations

from flask import current_app, g

from api.auth import BEARER_AUTH, audit_as, bearer_token, staff_only
from api.context import database, now, passwords
from api.json_body import Blueprint
from api.rate_limits import limit_sign_in
from api.idempotency import PARAMETER, caller, idempotency_key
from api.schemas.people import (AdjustmentFilterSchema, AdjustmentRequestInSchema, AdjustmentRequestSchema,
                                AttributeValueSchema, AuditEntrySchema, AuditFilterSchema, BalanceSchema,
                                BirthdayCorrectionSchema, BlockCardSchema, CardIssueSchema, CardSchema,
                                CloseMemberSchema, DeliveredCountSchema,
                                DecisionFilterSchema, DeliveredSchema, EnrolSchema, GrantInSchema, GrantSchema,
                                HistoryItemSchema, ImportedMemberSchema, ImportInSchema, ImportRequestSchema,
                                InvitationSchema, MemberAttributeSchema, MemberClosedSchema,
                                MemberMessageSchema, MemberStatusChangedSchema, MessageQuerySchema, PageSchema,
                                PersonalisedCardSchema, StaffMemberSchema, StaffSessionSchema, StaffSignInSchema,
                                SuspendMemberSchema, TerminalKeySchema)
from api.schemas.ledger import RefundSchema
from api.schemas.terminal import EmptySchema, RefundResultSchema
from engine.access.member_logins import invite_member
from engine.member_import_requests import (AskToImport, DecideImport, ask_to_import, decide_import,
                                           get_import_request, imported_members, list_import_requests)
from engine.access.staff import sign_in_staff
from engine.access.tokens import revoke_token
from engine.access.terminal_keys import issue_terminal_key, list_terminal_keys, revoke_terminal_key
from engine.audit import list_audit
from engine.member_closure import CloseMember, close_member
from engine.member_suspension import ReinstateMember, SuspendMember, reinstate_member, suspend_member
from engine.messages import mark_delivered, pending_messages
from engine.card_auth import issue_personalised_card
from engine.cards import activate_card, block_card, list_cards, unblock_card
from engine.ledger.approvals import DecideAdjustment, decide_adjustment, list_adjustment_requests, request_adjustment
from engine.ledger.balances import get_balance, get_history
from engine.ledger.commands import AdjustPoints
from engine.ledger.refunds import refund_receipt
from engine.members import correct_birthday, enrol_member, get_member, list_members
from engine.points_grants import (DecideGrant, GrantPoints, credit_grant, decide_grant, get_grant, list_grants,
                                  request_grant)
from engine.rules import segments

blp = Blueprint("staff", __name__, url_prefix="/v1/staff",
                description="For staff (admin, marketer, support, auditor, mailer): bearer token, role-checked, "
                            "audited.")
AUTH = {"security": [BEARER_AUTH]}
WRITE = {"security": [BEARER_AUTH], "parameters": [PARAMETER]}


@blp.route("/sessions", methods=["POST"])
@blp.arguments(StaffSignInSchema())
@blp.response(201, StaffSessionSchema)
def sign_in(body):
    """Sign in; five wrong passwords lock the account for 15 minutes (each further five in a row
    for twice as long, up to a day), and one address gets a
    limited number of tries across accounts (429 with Retry-After). An account with an
    authenticator gives its ``code`` as well (without it: 401 ``code_required``; wrong codes
    count like wrong passwords)."""
    limit_sign_in()
    signed_in = sign_in_staff(database(), username=body["username"], password=body["password"], passwords=passwords(),
                              now=now(), code=body.get("code"))
    audit_as(signed_in.principal.actor)
    return signed_in


@blp.route("/sessions/current", methods=["DELETE"])
@staff_only(None)
@blp.doc(**AUTH)
@blp.response(204)
def sign_out():
    """End this session's token at once."""
    revoke_token(database(), bearer_token(), now=now())


@blp.route("/members", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.arguments(PageSchema(), location="query")
@blp.response(200, StaffMemberSchema(many=True))
def members(page):
    """Members in enrolment order."""
    return list_members(database(), limit=page["limit"], offset=page["offset"])


@blp.route("/members", methods=["POST"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(EnrolSchema())
@blp.response(201, StaffMemberSchema)
def enrol(body):
    """Enrol a new member."""
    return enrol_member(database(), now=now(), **body)


@blp.route("/members/<member_id>", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, StaffMemberSchema)
def member(member_id):
    """One member's profile and status (while suspended: why, by whom, since when)."""
    return get_member(database(), member_id)


@blp.route("/members/<member_id>/birthday", methods=["PUT"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(BirthdayCorrectionSchema())
@blp.response(200, StaffMemberSchema)
def birthday(body, member_id):
    """Correct a member's birthday: a member gives theirs once, as the birthday-month rules
    and the birthday bonus follow it; a change after that is support's (audited)."""
    return correct_birthday(database(), member_id, body["birthday"], now=now())


@blp.route("/members/<member_id>/close", methods=["POST"])
@staff_only("members.write")
@blp.doc(**WRITE)
@blp.arguments(CloseMemberSchema())
@blp.response(200, MemberClosedSchema)
def close(body, member_id):
    """Close a member's account and erase their personal data: points forfeited, cards
    retired, sign-ins ended, the profile emptied (refused while points are held at a till)."""
    command = CloseMember(member_id=member_id, reason=body["reason"], actor=g.principal.actor)
    return close_member(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/members/<member_id>/suspend", methods=["POST"])
@staff_only("members.write")
@blp.doc(**WRITE)
@blp.arguments(SuspendMemberSchema())
@blp.response(200, MemberStatusChangedSchema)
def suspend(body, member_id):
    """Suspend an active member's account while fraud is looked into: until reinstated, the
    member earns nothing and cannot pay with points, redeem rewards or use vouchers at a till
    (``member_not_active``); refunds of their receipts still take points back, and they can
    still sign in and read their points. A suspended member is refused ``already_suspended``,
    a closed one ``member_closed``."""
    command = SuspendMember(member_id=member_id, reason=body["reason"], actor=g.principal.actor)
    return suspend_member(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/members/<member_id>/reinstate", methods=["POST"])
@staff_only("members.write")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, MemberStatusChangedSchema)
def reinstate(_body, member_id):
    """Reinstate a suspended member's account: it earns and spends again at once. A member who
    is not suspended is refused ``not_suspended``, a closed one ``member_closed``."""
    return reinstate_member(database(), ReinstateMember(member_id=member_id, actor=g.principal.actor),
                            caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/members/<member_id>/invitation", methods=["POST"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(202, InvitationSchema)
def invite(_body, member_id):
    """Send the member a link to set their password (a week to use it; it replaces any
    earlier link): their first sign-in after enrolment or import."""
    return {"expires_at": invite_member(database(), member_id, now=now())}


@blp.route("/messages", methods=["GET"])
@staff_only("messages.send")
@blp.doc(**AUTH)
@blp.arguments(MessageQuerySchema(), location="query")
@blp.response(200, MemberMessageSchema(many=True))
def messages(query):
    """Messages for members waiting for delivery (expiry warnings, ...), oldest first: a
    mailer fetches a page, sends it, marks it delivered, and asks for the next."""
    return pending_messages(database(), **query)


@blp.route("/messages/delivered", methods=["POST"])
@staff_only("messages.send")
@blp.doc(**AUTH)
@blp.arguments(DeliveredSchema())
@blp.response(200, DeliveredCountSchema)
def delivered(body):
    """Mark messages delivered (marking one twice changes nothing)."""
    return {"marked": mark_delivered(database(), body["ids"], now=now())}


@blp.route("/members/<member_id>/balance", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, BalanceSchema)
def member_balance(member_id):
    """One member's points."""
    return get_balance(database(), member_id, as_of=now())


@blp.route("/members/<member_id>/history", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.arguments(PageSchema(), location="query")
@blp.response(200, HistoryItemSchema(many=True))
def member_history(page, member_id):
    """One member's ledger, newest first."""
    return get_history(database(), member_id, limit=page["limit"], offset=page["offset"])


@blp.route("/members/<member_id>/cards", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, CardSchema(many=True))
def member_cards(member_id):
    """One member's cards."""
    return list_cards(database(), member_id=member_id)


@blp.route("/members/<member_id>/attributes", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, MemberAttributeSchema(many=True))
def member_attributes(member_id):
    """One member's attributes, which earning rules and segments can test (a rule's
    ``attribute`` condition, a segment's predicate)."""
    return [{"name": name, "value": value} for name, value in segments.member_attributes(database(), member_id).items()]


@blp.route("/members/<member_id>/attributes/<name>", methods=["PUT"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(AttributeValueSchema())
@blp.response(200, MemberAttributeSchema)
def set_member_attribute(body, member_id, name):
    """Set (or replace) one attribute of a member; from the next sale on, rules see it."""
    segments.set_member_attribute(database(), member_id, name, body["value"])
    return {"name": name, "value": body["value"]}


@blp.route("/members/<member_id>/attributes/<name>", methods=["DELETE"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.response(204)
def remove_member_attribute(member_id, name):
    """Remove one attribute of a member (done already when the member has none by that name)."""
    segments.remove_member_attribute(database(), member_id, name)


@blp.route("/card-issues", methods=["POST"])
@staff_only("cards.issue")
@blp.doc(**AUTH)
@blp.arguments(CardIssueSchema())
@blp.response(201, PersonalisedCardSchema)
def issue_card(body):
    """Issuing station: a new card's number and key, to be written to the card (then activate it)."""
    return issue_personalised_card(database(), member_id=body["member_id"],
                                   keys=current_app.config["CARD_MASTER_KEYS"], now=now())


@blp.route("/cards/<number>/activate", methods=["POST"])
@staff_only("cards.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, CardSchema)
def activate(_body, number):
    """Activate an issued card."""
    return activate_card(database(), number, now=now())


@blp.route("/cards/<number>/block", methods=["POST"])
@staff_only("cards.write")
@blp.doc(**AUTH)
@blp.arguments(BlockCardSchema())
@blp.response(200, CardSchema)
def block(body, number):
    """Block a card (lost, stolen, fraud) with a reason."""
    return block_card(database(), number, reason=body["reason"], now=now())


@blp.route("/cards/<number>/unblock", methods=["POST"])
@staff_only("cards.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, CardSchema)
def unblock(_body, number):
    """Lift a block placed by mistake (a lost card found again): the card works at once and
    the member is told so."""
    return unblock_card(database(), number, now=now())


@blp.route("/terminals/<terminal_code>/keys", methods=["GET"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.response(200, TerminalKeySchema(many=True))
def terminal_keys(terminal_code):
    """A terminal's signing keys (secrets are never shown again)."""
    return list_terminal_keys(database(), terminal_code)


@blp.route("/terminals/<terminal_code>/keys", methods=["POST"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(201, TerminalKeySchema)
def new_terminal_key(_body, terminal_code):
    """A new signing key for a terminal: its secret is in this answer only."""
    return issue_terminal_key(database(), terminal_code, now=now())


@blp.route("/terminal-keys/<key_id>/revoke", methods=["POST"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, TerminalKeySchema)
def revoke_key(_body, key_id):
    """Stop a terminal key at once."""
    return revoke_terminal_key(database(), key_id, now=now())


@blp.route("/adjustments", methods=["POST"])
@staff_only("adjustments.request")
@blp.doc(**WRITE)
@blp.arguments(AdjustmentRequestInSchema())
@blp.response(201, AdjustmentRequestSchema)
def adjust(body):
    """Credit or debit points by hand; above the programme's threshold a second person must approve."""
    command = AdjustPoints(actor=g.principal.name, **body)
    return request_adjustment(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/refunds", methods=["POST"])
@staff_only("adjustments.request")
@blp.doc(**WRITE)
@blp.arguments(RefundSchema())
@blp.response(201, RefundResultSchema)
def refund(command):
    """Return lines of a receipt of any store (a return at another store's service desk, or by
    post): what the returned lines earned is taken back and points paid are given back,
    exactly as a till's return; the posting names the staff member."""
    return refund_receipt(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/adjustments", methods=["GET"])
@staff_only("adjustments.approve")
@blp.doc(**AUTH)
@blp.arguments(AdjustmentFilterSchema(), location="query")
@blp.response(200, AdjustmentRequestSchema(many=True))
def adjustments(query):
    """Adjustment requests (by default those waiting for approval)."""
    return list_adjustment_requests(database(), **query)


def _decide(request_id: str, approve: bool):
    command = DecideAdjustment(request_id=request_id, approve=approve, actor=g.principal.name)
    return decide_adjustment(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/adjustments/<request_id>/approve", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, AdjustmentRequestSchema)
def approve(_body, request_id):
    """Approve another person's request: the points move now."""
    return _decide(request_id, True)


@blp.route("/adjustments/<request_id>/reject", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, AdjustmentRequestSchema)
def reject(_body, request_id):
    """Reject another person's request: no points move."""
    return _decide(request_id, False)


@blp.route("/grants", methods=["POST"])
@staff_only("adjustments.request")
@blp.doc(**WRITE)
@blp.arguments(GrantInSchema())
@blp.response(201, GrantSchema)
def grant(body):
    """Ask for the same points for every active member of a segment; a second person approves."""
    command = GrantPoints(actor=g.principal.name, **body)
    return request_grant(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/grants", methods=["GET"])
@staff_only("adjustments.request")
@blp.doc(**AUTH)
@blp.arguments(DecisionFilterSchema(), location="query")
@blp.response(200, GrantSchema(many=True))
def grants(query):
    """Points grants, newest first (all, or those of one status)."""
    return list_grants(database(), **query)


@blp.route("/grants/<grant_id>", methods=["GET"])
@staff_only("adjustments.request")
@blp.doc(**AUTH)
@blp.response(200, GrantSchema)
def one_grant(grant_id):
    """One points grant; while pending, how many members approving it now would credit."""
    return get_grant(database(), grant_id)


def _decide_grant(grant_id: str, approve: bool):
    command = DecideGrant(grant_id=grant_id, approve=approve, actor=g.principal.name)
    return decide_grant(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now(),
                        seconds=current_app.config["GRANT_CREDIT_SECONDS"])


@blp.route("/grants/<grant_id>/approve", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, GrantSchema)
def approve_grant(_body, grant_id):
    """Approve another person's grant: every active member of the segment now is credited, a
    chunk of members at a time (tills selling to them wait for one chunk at most). The answer
    comes after ``LOYALTY_GRANT_CREDIT_SECONDS`` (20 s) at most: a grant to more members than
    can be credited in that time shows ``credited`` below ``members``, and the scheduler
    credits the rest within a minute (or ``credit`` at once). A replay under the key answers
    the same way, with the crediting further on."""
    return _decide_grant(grant_id, True)


@blp.route("/grants/<grant_id>/credit", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, GrantSchema)
def credit_approved_grant(_body, grant_id):
    """Go on crediting an approved grant where an approval or a stopped process left it, for
    ``LOYALTY_GRANT_CREDIT_SECONDS`` at most; safe to repeat (a member is credited once), so
    it takes no Idempotency-Key."""
    return credit_grant(database(), grant_id, now=now(), seconds=current_app.config["GRANT_CREDIT_SECONDS"])


@blp.route("/grants/<grant_id>/reject", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, GrantSchema)
def reject_grant(_body, grant_id):
    """Reject another person's grant: no points move."""
    return _decide_grant(grant_id, False)


@blp.route("/member-imports", methods=["POST"])
@staff_only("adjustments.request")
@blp.doc(**WRITE)
@blp.arguments(ImportInSchema())
@blp.response(201, ImportRequestSchema)
def ask_for_import(body):
    """Ask to import a file of members (from the programme the chain had before): it is
    checked (every problem by line and column; nothing is kept if there is one) and waits
    for a second person's approval, since it credits opening points. Up to
    ``LOYALTY_MAX_REQUEST_BYTES`` (4 MiB, some 45,000 members); larger files go through
    ``loyalty members import``."""
    command = AskToImport(actor=g.principal.name, **body)
    return ask_to_import(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/member-imports", methods=["GET"])
@staff_only("adjustments.request")
@blp.doc(**AUTH)
@blp.arguments(DecisionFilterSchema(), location="query")
@blp.response(200, ImportRequestSchema(many=True))
def import_requests(query):
    """Member imports, newest first (all, or those of one status)."""
    return list_import_requests(database(), **query)


@blp.route("/member-imports/<import_id>", methods=["GET"])
@staff_only("adjustments.request")
@blp.doc(**AUTH)
@blp.response(200, ImportRequestSchema)
def one_import_request(import_id):
    """One member import."""
    return get_import_request(database(), import_id)


@blp.route("/member-imports/<import_id>/members", methods=["GET"])
@staff_only("adjustments.request")
@blp.doc(**AUTH)
@blp.response(200, ImportedMemberSchema(many=True))
def members_of_import(import_id):
    """An approved import's members: each line of the file with the member id it got and the
    file's reference (the old customer number), to map the old system's records."""
    return imported_members(database(), import_id)


def _decide_import(import_id: str, approve: bool):
    command = DecideImport(import_id=import_id, approve=approve, actor=g.principal.name)
    return decide_import(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/member-imports/<import_id>/approve", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, ImportRequestSchema)
def approve_import(_body, import_id):
    """Approve another person's import: its members are enrolled and credited now, all or
    none (a file that no longer fits, an address that became a member's meanwhile, is
    refused with its problems and stays pending)."""
    return _decide_import(import_id, True)


@blp.route("/member-imports/<import_id>/reject", methods=["POST"])
@staff_only("adjustments.approve")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, ImportRequestSchema)
def reject_import(_body, import_id):
    """Reject another person's import: nobody is imported."""
    return _decide_import(import_id, False)


@blp.route("/audit", methods=["GET"])
@staff_only("audit.read")
@blp.doc(**AUTH)
@blp.arguments(AuditFilterSchema(), location="query")
@blp.response(200, AuditEntrySchema(many=True))
def audit(query):
    """The audit log, newest first."""
    return list_audit(database(), **query)
