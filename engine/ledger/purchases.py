"""Purchases as reports count them: each receipt a member earned on, at its total less what
was refunded of it by a given time; a receipt refunded in full is no purchase at all.

One definition (SQL both databases run) for every report of buying — customer value, the
lifecycle stages, campaign lift — so that a basket bought and brought back counts nowhere
as custom, and one bought and half returned counts the half that was kept.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engine.orm.types import UTCDateTime

# Columns id, member_id, occurred_at (the sale's time), spend (minor units); parameter :as_of.
PURCHASES_SQL = (
    "SELECT r.id, r.member_id, r.occurred_at, r.total_minor - COALESCE(f.refunded, 0) AS spend "
    "FROM receipts AS r LEFT JOIN (SELECT receipt_id, SUM(amount_minor) AS refunded FROM refunds "
    "WHERE occurred_at <= :as_of GROUP BY receipt_id) AS f ON f.receipt_id = r.id "
    "WHERE r.occurred_at <= :as_of AND (f.refunded IS NULL OR f.refunded < r.total_minor)")


def purchases_as_of(as_of: datetime) -> sa.Subquery:
    """The purchases made up to ``as_of``, less the refunds up to ``as_of``, as a subquery
    with the columns ``id``, ``member_id``, ``occurred_at`` and ``spend``."""
    return (sa.text(PURCHASES_SQL).bindparams(sa.bindparam("as_of", as_of, type_=UTCDateTime()))
            .columns(sa.column("id", sa.Integer), sa.column("member_id", sa.Integer),
                     sa.column("occurred_at", UTCDateTime()), sa.column("spend", sa.BigInteger))
            .subquery("purchases"))
