"""Local, contract-checked emulators of the Shopify Admin GraphQL API
(2026-04) and the HubSpot CRM API, served over real HTTP on 127.0.0.1.

    from sandbox import ShopifySandbox, HubSpotSandbox
    shop = ShopifySandbox(products=50, seed=1).start(port=0)
"""

from .hubspot import HubSpotSandbox
from .shopify import ShopifySandbox

__all__ = ["HubSpotSandbox", "ShopifySandbox"]
