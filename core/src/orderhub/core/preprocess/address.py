"""Hold an order whose shipping address is incomplete or cannot be delivered as ordered."""

from __future__ import annotations

import msgspec

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model.common import Address
from orderhub.core.model.orders import HoldReason, Order
from orderhub.core.preprocess.base import ConfiguredCheck
from orderhub.core.preprocess.postal_codes import postal_code_problem

_FIELD_WORDS = {
    "name": "recipient name",
    "company": "company",
    "line1": "street address",
    "line2": "second address line",
    "city": "city",
    "region": "region",
    "phone": "phone number",
    "email": "e-mail",
}


class AddressConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    allowed_countries: list[str] | None = None
    """ISO country codes the merchant ships to; None ships anywhere."""
    required_fields: tuple[str, ...] = ("name", "line1", "city")
    """Address fields that must be present; country and postal code are checked apart."""
    region_required_in: tuple[str, ...] = ("US", "CA", "AU")
    """Countries whose carriers need the state/province."""
    check_postal_code: bool = True
    method_countries: dict[str, list[str]] = {}
    """Shipping method code -> countries it may go to. Methods not listed go anywhere."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.required_fields) - set(_FIELD_WORDS))
        if unknown:
            raise ValueError(f"unknown address fields in required_fields: {', '.join(unknown)}")


def needs_delivery(order: Order) -> bool:
    """Click & collect orders and orders of non-shipping lines need no shipping address."""
    return order.pickup_location is None and any(line.requires_shipping for line in order.lines)


class AddressCheck(ConfiguredCheck[AddressConfig]):
    """Completeness (fields, country, postal-code format) and deliverability (allowed
    countries, shipping method allowed for the destination)."""

    name = "address"
    config_type = AddressConfig

    def check(self, context: CheckContext) -> HoldRequest | None:
        order = context.order
        if not needs_delivery(order):
            return None
        problems = address_problems(order.shipping_address, self.config_for(context), order)
        if not problems:
            return None
        return HoldRequest(
            reason=HoldReason.ADDRESS, detail="shipping address: " + "; ".join(problems)
        )


def address_problems(address: Address | None, config: AddressConfig, order: Order) -> list[str]:
    if address is None:
        return ["missing"]
    missing = [
        _FIELD_WORDS[field]
        for field in config.required_fields
        if not (getattr(address, field) or "").strip()
    ]
    country = (address.country or "").strip().upper()
    if country and country in config.region_required_in and not (address.region or "").strip():
        missing.append("region")
    if not country:
        missing.append("country")
    problems = [f"missing {', '.join(missing)}"] if missing else []
    if not country:
        return problems
    if len(country) != 2 or not country.isalpha():
        return [*problems, f"country {address.country!r} is not an ISO 3166 country code"]
    if config.allowed_countries is not None and country not in {
        c.upper() for c in config.allowed_countries
    }:
        problems.append(f"we do not ship to {country}")
    if config.check_postal_code:
        postal = postal_code_problem(country, address.postal_code)
        if postal is not None:
            problems.append(postal)
    for shipping in order.shipping_lines:
        allowed = config.method_countries.get(shipping.code or "")
        if allowed is not None and country not in {c.upper() for c in allowed}:
            problems.append(f"shipping method {shipping.code!r} does not deliver to {country}")
    return problems
