"""Pre-processing: the checks every new or edited order passes before routing.

Each check implements `orderhub.core.extensions.OrderCheck` and is configured with its own
Struct; a channel overrides it through `CheckContext.channel_policy[check.name]`. Plugins
add checks through the `orderhub_register_checks` hook. `run_checks` (or
`run_checks_async` when a check returns awaitables) collects the holds.
"""

from orderhub.core.preprocess.address import AddressCheck, AddressConfig
from orderhub.core.preprocess.availability import AvailabilityCheck, AvailabilityConfig
from orderhub.core.preprocess.duplicate import DuplicateCheck, DuplicateConfig
from orderhub.core.preprocess.fraud import FraudCheck, FraudConfig
from orderhub.core.preprocess.payment import PaymentCheck, PaymentConfig
from orderhub.core.preprocess.postal_codes import POSTAL_FORMATS, postal_code_problem
from orderhub.core.preprocess.runner import run_checks, run_checks_async

BUILTIN_CHECKS = (AvailabilityCheck, PaymentCheck, AddressCheck, DuplicateCheck, FraudCheck)
"""The built-in check classes, in the order the hub runs them."""

__all__ = [
    "BUILTIN_CHECKS",
    "POSTAL_FORMATS",
    "AddressCheck",
    "AddressConfig",
    "AvailabilityCheck",
    "AvailabilityConfig",
    "DuplicateCheck",
    "DuplicateConfig",
    "FraudCheck",
    "FraudConfig",
    "PaymentCheck",
    "PaymentConfig",
    "postal_code_problem",
    "run_checks",
    "run_checks_async",
]
