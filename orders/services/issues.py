"""Order issues: a customer reports a problem, the seller of the lines answers, staff review,
resolve (with compensation through the refund cap) or close, and the customer rates the answer.

Lock order (see the package's docstring): order row -> issue row -> payments (by primary key, in
`payments.services.order_refund`) -> wallet.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Seller, User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.money import ZERO, money
from payments.models import RefundDestination
from payments.services import order_refund

from ..exceptions import (
    DecisionReasonRequiredError,
    InvalidIssueError,
    InvalidIssueItemsError,
    InvalidRatingError,
    IssueNotAllowedError,
    IssueNotOpenError,
    IssueNotResolvedError,
)
from ..models import (
    ISSUE_TRANSITIONS,
    ActorRole,
    IssueStatus,
    IssueType,
    IssueUrgency,
    NotificationKind,
    Order,
    OrderHistory,
    OrderIssue,
    OrderState,
)
from .notifications import order_notification_queue


def _history(
    issue: OrderIssue,
    previous: str,
    *,
    actor: User | None,
    reason: str,
    ip_address: str | None,
    user_agent: str,
    actor_role: str = ActorRole.STAFF,
) -> OrderHistory:
    return OrderHistory.objects.create(
        order_id=issue.order_id,
        actor=actor,
        actor_role=actor_role,
        change_type="issue",
        field_name=f"issue:{issue.pk}",
        previous_value=previous,
        new_value=issue.status,
        reason=reason[:255],
        ip_address=ip_address,
        user_agent=user_agent[:512],
    )


def _notify(issue: OrderIssue, order: Order, kind: NotificationKind, step: str, **context: str) -> None:
    order_notification_queue(
        order=order,
        kind=kind,
        event_key=f"issue:{issue.pk}:{step}",
        context={"issue_id": issue.pk, "issue_type": str(IssueType(issue.issue_type).label), **context},
    )


def _step(issue: OrderIssue, to: str) -> str:
    current = issue.status
    if to not in ISSUE_TRANSITIONS[current]:
        raise InvalidTransitionError(
            _("An issue that is %(current)s cannot become %(to)s.")
            % {"current": IssueStatus(current).label.lower(), "to": IssueStatus(to).label.lower()},
            extra={"from": current, "to": to},
        )
    issue.status = to
    return current


def _locked(issue_id: int) -> tuple[OrderIssue, Order]:
    """The issue and its order, locked order first (the shop's lock order)."""
    order_id = OrderIssue.objects.filter(pk=issue_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFoundError(_("No such issue."))
    order = Order.objects.select_for_update().get(pk=order_id)
    return OrderIssue.objects.select_for_update().get(pk=issue_id), order


def issue_report(
    *,
    order_id: int,
    user: User,
    issue_type: str,
    description: str,
    urgency: str = IssueUrgency.MEDIUM,
    item_ids: Iterable[int] = (),
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderIssue:
    """A customer reports a problem with their own paid order, about some of its lines or all.

    The related seller is the one seller of the lines concerned (of the whole order when none is
    chosen); lines of several sellers leave it to staff. Raises NotFoundError (not their order),
    InvalidIssueItemsError (a line of another order), IssueNotAllowedError (not paid).
    """
    description = description.strip()
    if issue_type not in IssueType.values or urgency not in IssueUrgency.values or not description:
        raise InvalidIssueError()
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, customer=user).first()
        if order is None:
            raise NotFoundError(_("No such order."))
        if order.paid_at is None or order.status_id == OrderState.PENDING:
            raise IssueNotAllowedError(extra={"status": order.status_id})
        wanted = set(item_ids)
        lines = list(order.items.all())
        chosen = [line for line in lines if line.pk in wanted]
        if len(chosen) != len(wanted):
            raise InvalidIssueItemsError(extra={"item_ids": sorted(wanted - {line.pk for line in chosen})})
        sellers = {line.seller_id for line in (chosen or lines)}
        issue = OrderIssue.objects.create(
            order=order,
            customer=user,
            related_seller_id=sellers.pop() if len(sellers) == 1 else None,
            issue_type=issue_type,
            description=description,
            urgency=urgency,
            currency=order.currency,
        )
        if chosen:
            issue.items.set(chosen)
        _history(
            issue,
            "",
            actor=user,
            actor_role=ActorRole.CUSTOMER,
            reason=description[:255],
            ip_address=ip_address,
            user_agent=user_agent,
        )
        _notify(issue, order, NotificationKind.ISSUE_REPORTED, "reported")
    return issue


def issue_assign(
    *, issue_id: int, actor: User, assignee: User | None = None, ip_address: str | None = None, user_agent: str = ""
) -> OrderIssue:
    """Staff take an open issue (or give it to `assignee`); a reported one goes under review,
    which is the customer's first answer. Raises NotFoundError, IssueNotOpenError."""
    with transaction.atomic():
        issue, order = _locked(issue_id)
        if not issue.is_open:
            raise IssueNotOpenError(extra={"status": issue.status})
        issue.assigned_to = assignee or actor
        previous = issue.status
        if issue.status == IssueStatus.REPORTED:
            _step(issue, IssueStatus.UNDER_REVIEW)
            issue.first_response_at = issue.first_response_at or timezone.now()
        issue.save()
        entry = _history(
            issue,
            previous,
            actor=actor,
            reason=f"Assigned to {issue.assigned_to.email}",
            ip_address=ip_address,
            user_agent=user_agent,
        )
        if previous != issue.status:
            _notify(issue, order, NotificationKind.ISSUE_UPDATED, f"update:{entry.pk}", status=issue.status)
    return issue


def issue_seller_answer(
    *, issue_id: int, seller: Seller, response: str, ip_address: str | None = None, user_agent: str = ""
) -> OrderIssue:
    """The seller of the lines answers an open issue (again: the answer is replaced); a reported
    issue goes under review. Another seller's issue is NotFoundError. Raises
    DecisionReasonRequiredError (empty answer), IssueNotOpenError."""
    response = response.strip()
    if not response:
        raise DecisionReasonRequiredError(_("Write an answer."))
    with transaction.atomic():
        order_id = (
            OrderIssue.objects.filter(pk=issue_id, related_seller=seller).values_list("order_id", flat=True).first()
        )
        if order_id is None:
            raise NotFoundError(_("No such issue."))
        issue, order = _locked(issue_id)
        if not issue.is_open:
            raise IssueNotOpenError(extra={"status": issue.status})
        previous = issue.status
        if issue.status == IssueStatus.REPORTED:
            _step(issue, IssueStatus.UNDER_REVIEW)
        now = timezone.now()
        issue.seller_response = response
        issue.seller_responded_at = now
        issue.first_response_at = issue.first_response_at or now
        issue.save()
        entry = _history(
            issue,
            previous,
            actor=seller.user,
            actor_role=ActorRole.SELLER,
            reason=response[:255],
            ip_address=ip_address,
            user_agent=user_agent,
        )
        _notify(issue, order, NotificationKind.ISSUE_UPDATED, f"update:{entry.pk}", status=issue.status)
    return issue


def issue_resolve(
    *,
    issue_id: int,
    actor: User,
    resolution_notes: str,
    compensation: Decimal | str = ZERO,
    destination: str = RefundDestination.ORIGINAL,
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderIssue:
    """Staff resolve an open issue, saying how; `compensation` (if any) is given back through the
    refund cap (`payments.services.order_refund`) to the original payment or as store credit.

    Raises NotFoundError, DecisionReasonRequiredError (no notes), InvalidTransitionError,
    InvalidAmountError, OrderRefundCapError (more than is left of what was paid): then nothing
    changed.
    """
    resolution_notes = resolution_notes.strip()
    if not resolution_notes:
        raise DecisionReasonRequiredError(_("Say how the issue was resolved: the customer reads it."))
    compensation = money(compensation)
    with transaction.atomic():
        issue, order = _locked(issue_id)
        previous = _step(issue, IssueStatus.RESOLVED)
        if compensation > ZERO:
            order_refund(
                order_id=order.pk,
                amount=compensation,
                reason=f"Issue {issue.pk}: {resolution_notes}",
                actor=actor,
                destination=destination,
                reference=f"issue:{issue.pk}",
            )
            issue.compensation_amount = compensation
            issue.compensation_destination = destination
        now = timezone.now()
        issue.resolution_notes = resolution_notes
        issue.resolved_at = now
        issue.first_response_at = issue.first_response_at or now
        issue.assigned_to = issue.assigned_to or actor
        issue.save()
        _history(issue, previous, actor=actor, reason=resolution_notes, ip_address=ip_address, user_agent=user_agent)
        _notify(
            issue,
            order,
            NotificationKind.ISSUE_RESOLVED,
            "resolved",
            resolution_notes=resolution_notes,
            compensation=str(issue.compensation_amount),
            destination=issue.compensation_destination,
        )
    return issue


def issue_close(
    *, issue_id: int, actor: User, note: str = "", ip_address: str | None = None, user_agent: str = ""
) -> OrderIssue:
    """Staff close an issue (resolved, or not to be pursued). Raises NotFoundError,
    InvalidTransitionError (already closed)."""
    with transaction.atomic():
        issue, order = _locked(issue_id)
        previous = _step(issue, IssueStatus.CLOSED)
        issue.closed_at = timezone.now()
        issue.first_response_at = issue.first_response_at or issue.closed_at
        if note.strip() and not issue.resolution_notes:
            issue.resolution_notes = note.strip()
        issue.save()
        _history(issue, previous, actor=actor, reason=note or "Closed", ip_address=ip_address, user_agent=user_agent)
        _notify(issue, order, NotificationKind.ISSUE_CLOSED, "closed", note=note.strip())
    return issue


def issue_rate(*, issue_id: int, user: User, satisfaction: int) -> OrderIssue:
    """The customer rates the answer to their own issue, 1 to 5, once it is resolved (they may
    change their mind). Raises NotFoundError (not theirs), InvalidRatingError,
    IssueNotResolvedError."""
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise InvalidRatingError()
    with transaction.atomic():
        issue = OrderIssue.objects.select_for_update().filter(pk=issue_id, customer=user).first()
        if issue is None:
            raise NotFoundError(_("No such issue."))
        if not issue.can_be_rated:
            raise IssueNotResolvedError(extra={"status": issue.status})
        issue.customer_satisfaction = satisfaction
        issue.save(update_fields=["customer_satisfaction", "updated_at"])
    return issue
