"""Every endpoint and topic of the bus, named once, with the type of its messages (see ``domain.bus``).

Who sends and who handles each is one "find references" away. The order path of a NewOrderSingle, hop by hop, is
in the README ("How an order flows").
"""

from typing import Final

from domain.bus import Endpoint, Topic
from domain.commands import (
    AnswerAgain,
    CancelOrder,
    CancelWorking,
    MassCancel,
    QueryOrder,
    ReconcileVenue,
    ReplaceOrder,
    SubmitOrder,
    SubmitRiskOrder,
    Unrecorded,
    VenueRequest,
)
from domain.events import OrderEvent, OrderRouted, OrderStatusReported, OrderUpdated, RiskActionTaken
from domain.marketdata import MarksSampled
from domain.tca import MidObserved, VenueScore

OmsCommand = (
    SubmitOrder
    | CancelOrder
    | ReplaceOrder
    | QueryOrder
    | MassCancel
    | ReconcileVenue
    | CancelWorking
    | SubmitRiskOrder
    | Unrecorded
    | AnswerAgain
)
OmsEvent = OrderEvent | OrderRouted | OrderStatusReported

OMS_EXECUTE: Final = Endpoint[OmsCommand]("oms.execute")
"""Commands for the book of record: from client sessions (fixgw.client), the risk engine's post-trade actions,
operators, venue logons (reconcile) and the journal (a quarantined message)."""
OMS_PROCESS: Final = Endpoint[OmsEvent]("oms.process")
"""Events about orders: from venues (fixgw.venue, the internal venue) and the EMS (routed, could not be sent)."""
EMS_EXECUTE: Final = Endpoint[SubmitOrder | VenueRequest]("ems.execute")
"""Orders that passed risk, and cancels, replaces and status requests about orders at a venue: from the OMS."""
ORDER_UPDATES: Final = Topic[OrderUpdated]("events.order")
"""The OMS's view of an order after each change: followed by risk (exposure, post-trade actions)."""
RISK_MARKS: Final = Endpoint[MarksSampled]("risk.marks")
"""A sample of the mids, once every ``[risk.var] interval_ms`` (``app.mark_sampler``): portfolio marks and VaR."""
RISK_ACTIONS: Final = Topic[RiskActionTaken]("events.risk")
"""What the risk engine did on its own after a breach: audited by the gateway."""
MIDS: Final = Topic[MidObserved]("events.mid")
"""Mids as they change, per venue and consolidated, for the symbols routed adaptively: from the market data books
(``app.adaptive``), followed by the live TCA engine (``tca.live``)."""
VENUE_SCORES: Final = Topic[VenueScore]("events.tca")
"""Each venue's expected cost per symbol, as it changes: from the live TCA engine, followed by the EMS router."""
