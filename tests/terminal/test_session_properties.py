"""Any order of POS steps: the session refuses what is out of order and never ends a sale
with a hold still open."""
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from terminal.errors import RedemptionNeedsServer, SessionError
from terminal.session import CardRef, Hold, Member, PosSession, State


class SaleSteps(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.session = PosSession("R0")
        self.receipts = 0

    def attempt(self, step, *args, **kwargs):
        before = (self.session.state, self.session.hold)
        try:
            step(*args, **kwargs)
        except (SessionError, RedemptionNeedsServer):
            assert (self.session.state, self.session.hold) == before, "a refused step changed the sale"

    @rule(uid=st.booleans())
    def card(self, uid):
        self.attempt(self.session.card_presented,
                     CardRef(uid="04AA") if uid else CardRef(card_number="6280001234567890"))

    @rule(offline=st.booleans(), can_redeem=st.booleans())
    def authenticate(self, offline, can_redeem):
        self.attempt(self.session.authenticated, member=Member("M", "A", "gold", 100),
                     card_session=None if offline else "tok", can_redeem=can_redeem,
                     offline=offline)

    @rule()
    def basket(self):
        self.attempt(self.session.basket_given, {"lines": []})

    @rule(points=st.integers(-5, 150))
    def hold(self, points):
        def place():
            self.session.check_can_hold(points)
            self.session.hold_placed(Hold("H", points, points))
        self.attempt(place)

    @rule()
    def capture(self):
        self.attempt(self.session.hold_captured, value_minor=1)

    @rule()
    def void(self):
        self.session.hold_voided()

    @rule(queued=st.booleans())
    def accrue(self, queued):
        self.attempt(self.session.accrued, {}, queued=queued)

    @rule()
    def fail(self):
        self.session.failed("something went wrong")

    @rule()
    def next_sale(self):
        self.receipts += 1
        self.attempt(self.session.reset, f"R{self.receipts}")

    @invariant()
    def a_hold_is_open_only_while_held_or_failed(self):
        if self.session.hold is not None:
            assert self.session.state in (State.HELD, State.FAILED)
            assert self.session.cleanup == [("void_hold", "H")]

    @invariant()
    def points_paid_are_to_give_back_only_while_paid_or_failed(self):
        if self.session.paid is not None:
            assert self.session.state in (State.CAPTURED, State.FAILED)
            assert self.session.hold is None

    @invariant()
    def offline_sales_never_pay_with_points(self):
        if self.session.offline:
            assert self.session.state not in (State.HELD, State.CAPTURED)


TestSaleSteps = SaleSteps.TestCase
