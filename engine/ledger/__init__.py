"""The points ledger: every point earned, spent, expired or adjusted, as immutable
double-entry transactions.

Accounts: one per member, and the system accounts ``issuance`` (points given out),
``redemption`` (points spent), ``expiry`` (points that lapsed) and ``adjustment`` (manual
corrections and write-offs). Each transaction's entries sum to zero, so at every moment

    issued = member balances + redeemed + expired + adjusted

to the point. Earned points form lots (pending until the return window closes, then
available until they expire); spending takes the earliest-expiring lots first; a hold
reserves specific lots for a payment at the till until it is captured, voided or lapses.
Every mutating command carries an idempotency key scoped to its caller; the first answer
(refusals included) is replayed to every retry. Every command locks the member's account
row first, so two tills can never spend the same points.

Modules: ``basket`` and ``allocation`` are pure policy; ``accounts``, ``lots`` and
``idempotency`` are the building blocks the services (``earning``, ``holds``, ``refunds``,
``adjustments``, ``expiry``) are made of; ``balances`` reads; ``invariants`` checks.
"""
