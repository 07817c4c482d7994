"""The ``net`` fixture: a bridge and a BridgeDriver of the test's own (``netenv``)."""

from tests.integration.network_driver.netenv import net

__all__ = ["net"]
