"""The loyalty programme's domain: who earns, what they hold, and the rules that move points.

Concepts (a page to read before the code):

- **Programme settings**: one set per installation: the points' name, the currency and its
  minor units, the base earn rate, the pending period (the return window during which
  earned points cannot be spent), the expiry policy (never; N months after earning,
  optionally rounded up to the end of the month, quarter or year in the programme's time
  zone; or N months of inactivity), what a refund does when the points are already spent
  (allow a negative balance, write the shortfall off, or refuse), and what points are
  worth when a member pays with them.
- **Store** and **terminal**: where points are earned; a terminal (till) belongs to one
  store, a store has a time zone and may belong to a group (for rules and reports). An
  *online* store is a web shop: its terminal is the shop's backend, whose orders name the
  member instead of a card (``stores``, ``card_auth.check_online_order``).
- **Member**: a person in the programme, known by an opaque public id. Personal data
  (name, contacts, birthday, consents) lives in the member's profile, apart from the
  record the ledger refers to, so that closing the account (``member_closure``) can erase
  it and leave the ledger whole. While fraud is looked into, support suspends the account
  (``member_suspension``): the member reads but earns and spends nothing until reinstated.
  Attributes (``rules.segments``) describe members for rules and segments; the
  ``customer_value`` job keeps RFM scores, value classes and the member's lifecycle stage
  (new, first purchase, repeat, loyal, advocate, lapsed) there.
- **Points outside a sale**: a staff adjustment for one member (``ledger.approvals``: a
  second person approves a large one, and small ones once one person's add up past a daily
  allowance), a referral bonus (``rules.referrals``: a friend joins with a member's code, and
  both get the programme's bonus with the friend's first purchase), a points grant for every member of a segment
  (``points_grants``: always approved by a second person), opening balances of members
  imported from an earlier programme (``member_import``; from staff, ``member_import_requests``:
  approved by a second person), and the birthday bonus (a job). One check (``four_eyes``)
  keeps the person who asked from deciding.
- **Messages**: what the programme has to tell a member (points or a voucher about to
  expire, a password link, a tier change, a changed password or PIN, a card made usable on
  their account) waits in an outbox (``messages``) for whatever delivers it.
- **Webhooks**: the programme's events (a member joined or left, every posting that moves
  points, a reward redeemed or used, a tier change) for the chain's other systems, recorded in the transaction of what
  they report and posted, signed, to the endpoints an admin added (``webhooks``).
- **Card**: how a member identifies at the till. An *applet* card runs our application
  and proves possession with a per-card key (``key_version`` names the master key it was
  diversified from); a *uid* card is only an identifier. Points belong to the member,
  never to a card: a replacement card carries on where the old one stopped.

Rules of the house:
- Engine services take the database and the current instant (``now``) as arguments and
  own their transaction: they finish all of their work, or raise an ``engine.errors``
  refusal and change nothing.
- Policy code (``programme``, ``card_lifecycle``, ``card_numbers``) is pure: plain data in,
  plain data out, no clock, no database.
- Secrets the service reads back (tills' signing keys, authenticator and webhook secrets)
  are columns typed ``sealing.SealedText``: sealed at rest with the data keys the process
  was given at start (``sealing.use_data_keys``), transparently to the code that uses them.
- Nothing here imports a web framework or a card reader library.
"""
from engine import native

native.use_current_build()  # before any module that may run compiled is imported
