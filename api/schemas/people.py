"""Shapes for members' and staff's own requests: sign-in, profile, cards, balances, history,
adjustments, terminal keys and the audit log."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from api.schemas.ledger import _whole
from api.schemas.programme import TierChangeSchema, VoucherSchema
from api.schemas.staff_accounts import CODE_LENGTH
from engine.access.passwords import MAX_PASSWORD_LENGTH
from engine.member_closure import MAX_REASON
from engine.members import CONSENTS
from engine.messages import MAX_ID
from engine import member_import_requests, member_suspension, points_grants

_text = ma.validate.Length(1, 200)


class PageSchema(InputSchema):
    limit = fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=ma.validate.Range(0, 10**9))


class MemberSignInSchema(InputSchema):
    email = fields.String(required=True, validate=ma.validate.Length(1, 254))
    password = fields.String(required=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH), load_only=True)
    device_token = fields.String(load_default=None, validate=ma.validate.Length(1, 100), load_only=True, metadata={
        "description": "the device_token this device got at the member's last sign-in: a device the member "
                       "signed in from before needs no code"})
    code = fields.String(load_default=None, validate=ma.validate.Length(1, 12), load_only=True, metadata={
        "description": "on a new device, where the programme asks for it (401 device_code_required): the code "
                       "sent to the member's e-mail address"})


class StaffSignInSchema(InputSchema):
    username = fields.String(required=True, validate=ma.validate.Length(1, 64))
    password = fields.String(required=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH), load_only=True)
    code = fields.String(validate=ma.validate.Length(1, CODE_LENGTH), load_only=True, metadata={
        "description": "for an account with an authenticator: the code it shows now, or a recovery code"})


class SessionSchema(ma.Schema):
    token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class MemberSessionSchema(SessionSchema):
    member_id = fields.String(required=True)
    device_token = fields.String(required=True, metadata={
        "description": "keep it on this device and give it with the member's next sign-in"})


class StaffSessionSchema(SessionSchema):
    username = fields.String(required=True, attribute="principal.name")
    roles = fields.Method("role_list", required=True)

    def role_list(self, signed_in) -> list[str]:
        return sorted(signed_in.principal.roles)


class ConsentsSchema(InputSchema):
    marketing_email = fields.Boolean(truthy={True}, falsy={False})
    marketing_sms = fields.Boolean(truthy={True}, falsy={False})
    profiling = fields.Boolean(truthy={True}, falsy={False})


class ProfileUpdateSchema(InputSchema):
    """Only these fields: balance, tier, status and e-mail are not the member's to set here."""

    full_name = fields.String(validate=_text)
    phone = fields.String(allow_none=True, validate=ma.validate.Length(1, 32))
    birthday = fields.Date(allow_none=True)
    consents = fields.Nested(ConsentsSchema)


class MemberSchema(ma.Schema):
    member_id = fields.String(required=True, attribute="public_id")
    status = fields.String(required=True, metadata={
        "description": "active, suspended (nothing earned or spent until support reinstates the account) or closed"})
    enrolled_at = fields.AwareDateTime(required=True)
    full_name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)
    birthday = fields.Date(allow_none=True, required=True)
    consents = fields.Dict(keys=fields.String(validate=ma.validate.OneOf(CONSENTS)), values=fields.Boolean(),
                           required=True)


class SuspensionSchema(ma.Schema):
    reason = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "who suspended the member, e.g. staff:alice"})
    at = fields.AwareDateTime(required=True)


class BirthdayCorrectionSchema(InputSchema):
    birthday = fields.Date(required=True, allow_none=True, metadata={
        "description": "the member's birthday as it should be (null: none); a member gives theirs once"})


class StaffMemberSchema(MemberSchema):
    """A member as staff read them: with why, by whom and since when while suspended."""
    suspension = fields.Nested(SuspensionSchema, required=True, allow_none=True,
                               metadata={"description": "while the status is suspended; null otherwise"})


class SuspendMemberSchema(InputSchema):
    reason = fields.String(required=True, validate=ma.validate.Length(1, member_suspension.MAX_REASON),
                           metadata={"description": "why, e.g. the fraud case being looked into (staff only see it)"})


class MemberStatusChangedSchema(ma.Schema):
    member_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "after the change: suspended or active"})
    reason = fields.String(required=True, allow_none=True, metadata={"description": "the suspension's reason"})
    changed_by = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


class EnrolSchema(InputSchema):
    full_name = fields.String(required=True, validate=_text)
    email = fields.String(allow_none=True, validate=ma.validate.Length(1, 254))
    phone = fields.String(allow_none=True, validate=ma.validate.Length(1, 32))
    birthday = fields.Date(allow_none=True)
    consents = fields.Nested(ConsentsSchema)


class SignUpSchema(InputSchema):
    full_name = fields.String(required=True, validate=_text)
    email = fields.String(required=True, validate=ma.validate.Length(1, 254))
    birthday = fields.Date(allow_none=True)
    consents = fields.Nested(ConsentsSchema)
    referral_code = fields.String(validate=ma.validate.Length(1, 20),
                                  metadata={"description": "a member's code: that member referred this one"})


class ReferralCardSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "give it to friends who join online"})
    referrer_points = fields.Integer(required=True, metadata={"description": "what the member gets per friend"})
    referred_points = fields.Integer(required=True, metadata={"description": "what the friend gets"})
    min_total_minor = fields.Integer(required=True, metadata={"description": "with the friend's first purchase "
                                                                             "paying at least this"})
    referred = fields.Integer(required=True, metadata={"description": "friends referred"})
    rewarded = fields.Integer(required=True, metadata={"description": "friends whose first purchase paid the bonus"})


class ExpiringSchema(ma.Schema):
    expires_at = fields.AwareDateTime(required=True)
    points = fields.Integer(required=True)


class BalanceSchema(ma.Schema):
    member_id = fields.String(required=True)
    balance = fields.Integer(required=True)
    available = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    reserved = fields.Integer(required=True)
    debt = fields.Integer(required=True)
    expiring = fields.List(fields.Nested(ExpiringSchema), required=True)


class RulePointsSchema(ma.Schema):
    rule_key = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "the rule's name, as members see it"})
    points = fields.Integer(required=True)


class HistoryItemSchema(ma.Schema):
    transaction_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    points = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    description = fields.String(required=True)
    actor = fields.String(allow_none=True, required=True)
    rules = fields.List(fields.Nested(RulePointsSchema), required=True,
                        metadata={"description": "a purchase: the points each earning rule gave"})


class MemberHistoryItemSchema(HistoryItemSchema):
    """A history item as the member reads it: without who posted it (a staff account's name
    is nothing a member needs, and a name to try passwords on)."""

    class Meta:
        exclude = ("actor",)


class CardSchema(ma.Schema):
    number = fields.String(required=True)
    kind = fields.String(required=True)
    key_version = fields.Integer(allow_none=True, required=True)
    status = fields.String(required=True)
    member_id = fields.String(required=True)
    block_reason = fields.String(allow_none=True, required=True)
    replaced_by = fields.String(allow_none=True, required=True)
    issued_at = fields.AwareDateTime(required=True)
    status_changed_at = fields.AwareDateTime(required=True)


class BlockCardSchema(InputSchema):
    reason = fields.String(load_default="lost", validate=_text)


class PasswordChangeSchema(InputSchema):
    current_password = fields.String(required=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH))
    new_password = fields.String(required=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH))


class PasswordLinkRequestSchema(InputSchema):
    email = fields.String(required=True, validate=ma.validate.Length(1, 254))


class PasswordLinkUseSchema(InputSchema):
    link = fields.String(required=True, validate=ma.validate.Length(1, 100), load_only=True,
                         metadata={"description": "the secret after ?link= in the address the member was sent"})
    password = fields.String(required=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH), load_only=True,
                             metadata={"description": "the new password"})


class PasswordLinkSentSchema(ma.Schema):
    message = fields.String(required=True)


class PasswordLinkSetSchema(ma.Schema):
    member_id = fields.String(required=True)


class InvitationSchema(ma.Schema):
    expires_at = fields.AwareDateTime(required=True)


class PinSchema(InputSchema):
    pin = fields.String(required=True, validate=ma.validate.Length(1, 12))
    password = fields.String(required=True, validate=ma.validate.Length(1, 1000),
                             metadata={"description": "the member's password, confirming the change"})


class MessageSentSchema(ma.Schema):
    kind = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    delivered_at = fields.AwareDateTime(allow_none=True, required=True)


class ReferralFactsSchema(ma.Schema):
    code = fields.String(allow_none=True, required=True, metadata={"description": "null before it was asked for"})
    referred_by = fields.String(allow_none=True, required=True, metadata={"description": "the referrer's member id"})
    friends_referred = fields.Integer(required=True)
    friends_rewarded = fields.Integer(required=True)


class DeviceSchema(ma.Schema):
    first_used_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(required=True)


class PaymentCodeUseSchema(ma.Schema):
    points = fields.Integer(required=True, metadata={"description": "the most the code could pay"})
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    used_at = fields.AwareDateTime(allow_none=True, required=True)
    used_at_store = fields.String(allow_none=True, required=True, metadata={"description": "the web shop that "
                                                                                          "took it"})


class ExportSchema(ma.Schema):
    member = fields.Nested(MemberSchema, required=True)
    cards = fields.List(fields.Nested(CardSchema), required=True)
    balance = fields.Nested(BalanceSchema, required=True)
    history = fields.List(fields.Nested(MemberHistoryItemSchema), required=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                             metadata={"description": "what staff recorded about the member, by name"})
    segments = fields.List(fields.String(), required=True,
                           metadata={"description": "the segments (target groups) the member is in"})
    vouchers = fields.List(fields.Nested(VoucherSchema), required=True)
    tier_changes = fields.List(fields.Nested(TierChangeSchema), required=True, metadata={"description": "oldest first"})
    messages = fields.List(fields.Nested(MessageSentSchema), required=True, metadata={
        "description": "what the programme wrote to the member (expiry warnings, links, ...), oldest first"})
    referrals = fields.Nested(ReferralFactsSchema, required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True, metadata={
        "description": "the devices (browsers, apps) the member signs in from, most recently used first"})
    payment_codes = fields.List(fields.Nested(PaymentCodeUseSchema), required=True, metadata={
        "description": "the codes the member asked for to pay web shops with points, newest first (the codes "
                       "themselves are not kept)"})


class MemberAttributeSchema(ma.Schema):
    """One attribute of a member (name → value), which earning rules and segments can test."""

    name = fields.String(required=True)
    value = fields.String(required=True)


class AttributeValueSchema(InputSchema):
    value = fields.String(required=True, validate=ma.validate.Length(0, 200))


class CardIssueSchema(InputSchema):
    member_id = fields.String(required=True, validate=ma.validate.Length(1, 20))


class PersonalisedCardSchema(ma.Schema):
    card_number = fields.String(required=True)
    key_version = fields.Integer(required=True)
    card_key = fields.Method("key_hex", required=True, metadata={"description": "AES-128 key, hexadecimal"})
    member_id = fields.String(required=True)

    def key_hex(self, card) -> str:
        return card.card_key.hex()


class TerminalKeySchema(ma.Schema):
    key_id = fields.String(required=True)
    terminal_code = fields.String(required=True)
    store_code = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(allow_none=True, required=True)
    secret = fields.String(allow_none=True, required=True, metadata={"description": "shown once, when issued"})


class CloseMemberSchema(InputSchema):
    reason = fields.String(required=True, validate=ma.validate.Length(1, MAX_REASON),
                           metadata={"description": "e.g. the member asked for erasure"})


class CloseOwnAccountSchema(InputSchema):
    password = fields.String(required=True, validate=ma.validate.Length(1, 1024), load_only=True,
                             metadata={"description": "the member's password, to confirm"})


class MemberClosedSchema(ma.Schema):
    member_id = fields.String(required=True)
    points_forfeited = fields.Integer(required=True)
    cards_retired = fields.Integer(required=True)
    transaction_id = fields.Integer(allow_none=True, metadata={"description": "the forfeit's posting"})


class AdjustmentRequestInSchema(InputSchema):
    member_id = fields.String(required=True, validate=ma.validate.Length(1, 20))
    points = _whole(required=True)
    reason = fields.String(required=True, validate=_text)


class AdjustmentRequestSchema(ma.Schema):
    request_id = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)
    transaction_id = fields.Integer(allow_none=True, required=True)


class AdjustmentFilterSchema(PageSchema):
    status = fields.String(load_default="pending", validate=ma.validate.OneOf(["pending", "approved", "rejected"]))


class GrantInSchema(InputSchema):
    segment = fields.String(required=True, validate=ma.validate.Length(1, 64),
                            metadata={"description": "the code of the segment whose active members get the points"})
    points = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, points_grants.MAX_POINTS),
                            metadata={"description": "points for each member"})
    reason = fields.String(required=True, validate=ma.validate.Length(1, points_grants.MAX_REASON),
                           metadata={"description": "shown in each member's history"})


class GrantSchema(ma.Schema):
    grant_id = fields.String(required=True)
    segment = fields.String(required=True)
    points = fields.Integer(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, approved or rejected"})
    requested_by = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    members = fields.Integer(required=True, metadata={
        "description": "pending: the segment's active members now; approved: the members credited and those still "
                       "queued to be (a chunk at a time); rejected: 0"})
    credited = fields.Integer(required=True, metadata={
        "description": "members credited so far: equal to members once an approved grant is done"})
    total_points = fields.Integer(required=True)
    decided_by = fields.String(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)


class DecisionFilterSchema(PageSchema):
    """Requests a second person decides (grants, member imports): all, or those of one status."""
    status = fields.String(validate=ma.validate.OneOf(["pending", "approved", "rejected"]))


class ImportInSchema(InputSchema):
    file_name = fields.String(required=True, validate=ma.validate.Length(1, member_import_requests.MAX_FILE_NAME),
                              metadata={"description": "the file's name, to know the request by"})
    csv = fields.String(required=True, metadata={
        "description": "the file's text: a header naming the columns (full_name required; email, phone, birthday, "
                       "marketing_email, marketing_sms, profiling, enrolled_at, opening_points, points_expire_on, "
                       "card_uid, reference), then one member per line; comma, semicolon or tab separated"})


class ImportRequestSchema(ma.Schema):
    import_id = fields.String(required=True)
    file_name = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, approved or rejected"})
    members = fields.Integer(required=True)
    points = fields.Integer(required=True, metadata={"description": "opening points, all members together"})
    cards = fields.Integer(required=True, metadata={"description": "old cards that become UID-only cards"})
    requested_by = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)


class ImportedMemberSchema(ma.Schema):
    line = fields.Integer(required=True, metadata={"description": "the member's line in the file"})
    reference = fields.String(allow_none=True, required=True, metadata={
        "description": "the file's reference for the member (the old customer number), if it had one"})
    member_id = fields.String(required=True)
    opening_points = fields.Integer(required=True)


class AuditFilterSchema(PageSchema):
    actor = fields.String(validate=ma.validate.Length(1, 100))
    action = fields.String(validate=ma.validate.Length(1, 100), metadata={
        "description": "how the action begins: `POST /v1/staff/` for every write through the staff API"})
    target = fields.String(validate=ma.validate.Length(1, 200), metadata={
        "description": "part of the address acted on: a member id finds every request about that member"})


class AuditEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    target = fields.String(allow_none=True, required=True)
    outcome = fields.String(required=True)
    source = fields.String(allow_none=True, required=True)
    request_id = fields.String(allow_none=True, required=True)
    detail = fields.Dict(allow_none=True, required=True)


class MessageQuerySchema(InputSchema):
    after_id = fields.Integer(load_default=0, validate=ma.validate.Range(0, MAX_ID),
                              metadata={"description": "the last id already fetched"})
    limit = fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))


class MemberMessageSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={
        "description": "what the payload holds: expiry_warning (points, expires_at); voucher_expiry_warning "
                       "(voucher_code, reward_code, reward, expires_at); password_link (purpose: welcome, "
                       "invitation or reset; path; expires_at); tier_changed (from_tier, null before a first "
                       "tier; to_tier; to_name; direction: up or down; at); tier_grace (tier, tier_name, kept_until); "
                       "sign_in_code (code, expires_at: for a sign-in on a new device; the code is dropped once delivered); "
                       "credentials_changed (what: password or pin; at) and card_usable (card_ending; how: "
                       "activated or unblocked; at): tell the member, who may not have made the change"})
    member_id = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    payload = fields.Dict(required=True)
    created_at = fields.AwareDateTime(required=True)


class DeliveredSchema(InputSchema):
    ids = fields.List(fields.Integer(strict=True, validate=ma.validate.Range(1, MAX_ID)), required=True,
                      validate=ma.validate.Length(1, 1000))


class DeliveredCountSchema(ma.Schema):
    marked = fields.Integer(required=True, metadata={"description": "messages not marked delivered before"})


class PaymentCodeRequestSchema(InputSchema):
    points = _whole(required=True, validate=ma.validate.Range(1, 10**9),
                    metadata={"description": "the most points the web shop may take with the code"})
    password = fields.String(load_default=None, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH), metadata={
        "description": "the member's password: needed for more points than a reward may cost online without "
                       "it (else 403 password_required, and the Idempotency-Key may be used again); a wrong one "
                       "is refused and counts toward the sign-in lockout"})


class PaymentCodeSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "type it at the web shop's checkout; good for "
                                                                  "one payment"})
    points = fields.Integer(required=True, metadata={"description": "the most points the shop may take with it"})
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "not usable from then on"})
