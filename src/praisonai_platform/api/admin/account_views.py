"""Admin views of people and money: users, identities, API keys, the credit ledger, payments.

Secrets never appear: no password hash, no API key hash. Balances change only with a ledger row,
so neither the balance nor the ledger nor payments can be edited here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin.filters import AllUniqueStringValuesFilter, BooleanFilter
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import async_object_session
from starlette.requests import Request

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import verification
from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.api.admin.base import EnumFilter, PlatformView, ReadOnlyView, plain_columns
from praisonai_platform.core.clock import utcnow
from praisonai_platform.db.models import (
    CreditLedgerEntry,
    PaymentProvider,
    PaymentRecord,
    PaymentStatus,
    User,
    UserApiKey,
    UserProvider,
)


class UserAdmin(PlatformView, model=User):
    icon = "fa-solid fa-user"
    column_list: ClassVar[Any] = [
        User.id,
        User.name,
        User.email,
        User.display_name,
        User.is_admin,
        User.is_active,
        User.credit_balance,
        User.created_at,
        User.last_login_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(User, "password_hash")
    column_searchable_list: ClassVar[Any] = [User.name, User.email, User.display_name]
    column_filters: ClassVar[Any] = [BooleanFilter(User.is_admin), BooleanFilter(User.is_active)]
    column_sortable_list: ClassVar[Any] = [
        User.name,
        User.email,
        User.credit_balance,
        User.created_at,
        User.last_login_at,
    ]
    form_columns: ClassVar[Any] = [
        User.name,
        User.email,
        User.display_name,
        User.given_name,
        User.family_name,
        User.locale,
        User.avatar_url,
        User.is_admin,
        User.is_active,
    ]
    # Accounts are created by registering, signing in, or `praisonai-platform user create`;
    # they are deactivated rather than deleted (their ledger must survive).
    can_create = False
    can_delete = False

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        if data.get("email"):
            data["email"] = users.normalise_email(data["email"])
        await super().on_model_change(data, model, is_created, request)
        if "email" in data:
            await _forget_the_old_address(model)


async def _forget_the_old_address(user: User) -> None:
    """A new address is trusted only once verified by a link sent to it; links already sent to
    the old one (verification, password reset) stop working."""
    session = async_object_session(user)
    assert session is not None
    user.email_verified_at = None
    for purpose in (verification.VERIFY_EMAIL, verification.RESET_PASSWORD):
        await verification.revoke(session, user.id, purpose)


class UserProviderAdmin(PlatformView, model=UserProvider):
    name, name_plural = "Identity", "Identities"
    icon = "fa-solid fa-id-card"
    column_list: ClassVar[Any] = [
        UserProvider.id,
        UserProvider.user_id,
        UserProvider.provider,
        UserProvider.provider_user_id,
        UserProvider.email,
        UserProvider.email_verified,
        UserProvider.created_at,
        UserProvider.last_login_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(UserProvider)
    column_searchable_list: ClassVar[Any] = [
        UserProvider.user_id,
        UserProvider.email,
        UserProvider.provider_user_id,
    ]
    column_filters: ClassVar[Any] = [
        AllUniqueStringValuesFilter(UserProvider.provider),
        BooleanFilter(UserProvider.email_verified),
    ]
    column_sortable_list: ClassVar[Any] = [UserProvider.created_at, UserProvider.last_login_at]
    can_create = False
    can_edit = False  # deleting unlinks the identity


def _key_status(key: UserApiKey, _attribute: Any = None) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "active" if api_keys.is_active(key) else "expired"


class KeyStatusFilter:
    """API keys by status: active, revoked or expired."""

    has_operator = False
    template = "sqladmin/filters/lookup_filter.html"
    title = "Status"
    parameter_name = "status"

    async def lookups(self, request: Request, model: Any, run_query: Any) -> list[tuple[str, str]]:
        return [
            ("__all", "All"),
            ("active", "Active"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
        ]

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        now = utcnow()
        live = UserApiKey.expires_at.is_(None) | (UserApiKey.expires_at > now)
        if value == "active":
            return query.where(UserApiKey.revoked_at.is_(None), live)
        if value == "revoked":
            return query.where(UserApiKey.revoked_at.is_not(None))
        if value == "expired":
            return query.where(UserApiKey.revoked_at.is_(None), ~live)
        return query


class UserApiKeyAdmin(PlatformView, model=UserApiKey):
    name, name_plural = "API key", "API keys"
    icon = "fa-solid fa-key"
    column_list: ClassVar[Any] = [
        UserApiKey.id,
        UserApiKey.key_prefix,
        UserApiKey.label,
        UserApiKey.user_id,
        UserApiKey.revoked_at,
        UserApiKey.expires_at,
        UserApiKey.last_used_at,
        UserApiKey.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(UserApiKey, "key_hash")
    column_labels: ClassVar[Any] = {
        UserApiKey.key_prefix: "Prefix",
        UserApiKey.revoked_at: "Status",
    }
    column_formatters: ClassVar[Any] = {UserApiKey.revoked_at: _key_status}
    column_searchable_list: ClassVar[Any] = [
        UserApiKey.key_prefix,
        UserApiKey.label,
        UserApiKey.user_id,
    ]
    column_filters: ClassVar[Any] = [KeyStatusFilter()]
    column_sortable_list: ClassVar[Any] = [UserApiKey.created_at, UserApiKey.last_used_at]
    # A key is made by its owner (its secret is shown once); here it can be revoked or dated.
    form_columns: ClassVar[Any] = [UserApiKey.label, UserApiKey.expires_at, UserApiKey.revoked_at]
    can_create = False


class CreditLedgerAdmin(ReadOnlyView, model=CreditLedgerEntry):
    name, name_plural = "Credit ledger entry", "Credit ledger"
    icon = "fa-solid fa-coins"
    column_list: ClassVar[Any] = [
        CreditLedgerEntry.created_at,
        CreditLedgerEntry.user_id,
        CreditLedgerEntry.delta,
        CreditLedgerEntry.balance_after,
        CreditLedgerEntry.reason,
        CreditLedgerEntry.source,
        CreditLedgerEntry.external_id,
    ]
    column_details_list: ClassVar[Any] = plain_columns(CreditLedgerEntry)
    column_searchable_list: ClassVar[Any] = [
        CreditLedgerEntry.user_id,
        CreditLedgerEntry.reason,
        CreditLedgerEntry.external_id,
    ]
    column_filters: ClassVar[Any] = [AllUniqueStringValuesFilter(CreditLedgerEntry.source)]
    column_sortable_list: ClassVar[Any] = [CreditLedgerEntry.created_at, CreditLedgerEntry.delta]


class PaymentAdmin(ReadOnlyView, model=PaymentRecord):
    name, name_plural = "Payment", "Payments"
    icon = "fa-solid fa-credit-card"
    column_list: ClassVar[Any] = [
        PaymentRecord.created_at,
        PaymentRecord.user_id,
        PaymentRecord.provider,
        PaymentRecord.provider_payment_id,
        PaymentRecord.status,
        PaymentRecord.amount,
        PaymentRecord.currency,
        PaymentRecord.credits,
    ]
    column_details_list: ClassVar[Any] = plain_columns(PaymentRecord)
    column_searchable_list: ClassVar[Any] = [
        PaymentRecord.user_id,
        PaymentRecord.provider_payment_id,
    ]
    column_filters: ClassVar[Any] = [
        EnumFilter(PaymentRecord.provider, PaymentProvider),
        EnumFilter(PaymentRecord.status, PaymentStatus),
    ]
    column_sortable_list: ClassVar[Any] = [PaymentRecord.created_at, PaymentRecord.amount]


ACCOUNT_VIEWS = (UserAdmin, UserProviderAdmin, UserApiKeyAdmin, CreditLedgerAdmin, PaymentAdmin)
