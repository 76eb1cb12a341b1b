"""What the payment webhooks answer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from praisonai_platform.core.schemas import ResponseSchema


class WebhookResponse(ResponseSchema):
    """`credited`: recorded and credited now; `duplicate`: this payment was recorded before (by an
    earlier delivery), nothing changed; `failed`: recorded as failed (e.g. a currency this server
    does not accept), nothing credited; `ignored`: nothing to do (another event type, unpaid, or
    a payer who is no user here)."""

    status: Literal["credited", "duplicate", "failed", "ignored"]
    detail: str
    payment_id: str | None = None
    credits: int | None = Field(default=None, description="Micro-credits granted.")


class TelegramMethodReply(ResponseSchema):
    """A Bot API call made by answering the webhook: how a pre-checkout query is answered."""

    method: Literal["answerPreCheckoutQuery"]
    pre_checkout_query_id: str
    ok: bool
    error_message: str | None = None
