"""Everything the programme holds about one member, in one document: what a member gets when
they ask for their data (the API's export and the portal's download alike).

Guarantees: only the member's own records; staff's notes (which name staff) and the secrets
of password links are left out; the history is complete, not a page.
"""
from __future__ import annotations

from datetime import datetime

from engine.access.member_devices import devices_of
from engine.cards import list_cards
from engine.database import Database
from engine.ledger.balances import get_balance, get_history
from engine.members import get_member
from engine.messages import messages_for
from engine.payment_codes import payment_codes_of
from engine.rewards import list_vouchers
from engine.rules.referrals import referral_facts
from engine.rules.segments import member_attributes, member_segments
from engine.tiers.service import tier_history

EVERYTHING = 10**6  # no member has more entries of any kind than this


def member_data(db: Database, member_id: str, *, now: datetime) -> dict:
    """The member's profile, cards, balance, full history, attributes, segments, vouchers,
    tier changes, the messages written to them (kind and dates), their referrals, the
    devices they sign in from and the payment codes they asked for (without the codes)."""
    return {"member": get_member(db, member_id), "cards": list_cards(db, member_id=member_id),
            "balance": get_balance(db, member_id, as_of=now),
            "history": get_history(db, member_id, limit=EVERYTHING),
            "attributes": member_attributes(db, member_id), "segments": member_segments(db, member_id),
            "vouchers": list_vouchers(db, member_id, limit=EVERYTHING),
            "tier_changes": [{k: change[k] for k in ("at", "from", "to", "reason")}
                             for change in tier_history(db, member_id)],
            "messages": messages_for(db, member_id), "referrals": referral_facts(db, member_id),
            "devices": devices_of(db, member_id), "payment_codes": payment_codes_of(db, member_id)}
