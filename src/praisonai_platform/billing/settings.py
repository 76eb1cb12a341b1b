"""Settings of credits and payments (PLATFORM_BILLING_*, PLATFORM_*_WEBHOOK_SECRET).

Every process that meters runs or takes payments must agree on them, so they come from the
environment. What a payment is worth is decided here, never by the payment event.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load

# Bounds that keep every product of amount and price far inside a signed 64-bit column.
MAX_MICRO_CREDITS_PER_UNIT = 10**9
MAX_MIN_BALANCE = 10**15

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    billing_enabled: bool = Field(
        default=False,
        description="Charge runs in credits. Off: runs start and run without looking at "
        "balances, and reported usage charges nothing.",
    )
    billing_min_balance: int = Field(
        default=1_000_000,
        ge=0,
        le=MAX_MIN_BALANCE,
        description="Micro-credits a user must hold to start a run while billing is enabled "
        "(1,000,000 = 1 credit).",
    )
    billing_micro_credits_per_unit: dict[
        CurrencyCode, Annotated[int, Field(gt=0, le=MAX_MICRO_CREDITS_PER_UNIT)]
    ] = Field(
        default_factory=lambda: {"USD": 10_000},
        description="JSON object: micro-credits granted per minor unit (cent) of each accepted "
        "currency. A payment in any other currency is recorded as failed and credits nothing. "
        "The default makes 1 USD worth 1 credit.",
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Stripe's endpoint signing secret (whsec_…). Unset: every Stripe webhook "
        "is refused.",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="The secret_token given to Telegram's setWebhook. Unset: every Telegram "
        "webhook is refused.",
    )

    @field_validator("billing_micro_credits_per_unit")
    @classmethod
    def _upper_case_currencies(cls, prices: dict[str, int]) -> dict[str, int]:
        return {currency.upper(): price for currency, price in prices.items()}

    @field_validator("stripe_webhook_secret", "telegram_webhook_secret")
    @classmethod
    def _blank_is_unset(cls, secret: SecretStr | None) -> SecretStr | None:
        return secret if secret is not None and secret.get_secret_value().strip() else None

    def micro_credits_for(self, currency: str, amount: int) -> int | None:
        """What `amount` minor units of `currency` buy, or None for a currency not accepted."""
        price = self.billing_micro_credits_per_unit.get(currency.upper())
        return None if price is None else amount * price


def load_billing_settings() -> BillingSettings:
    """Read the billing settings; a bad value raises ConfigurationError naming the variable.

    A process calls this once, when it starts, and passes the result on."""
    return load(BillingSettings)
