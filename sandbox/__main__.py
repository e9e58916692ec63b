"""`python -m sandbox`: both emulators on fixed local ports, seeded."""

import argparse
import sys
import time

from .hubspot import HubSpotSandbox
from .shopify import ShopifySandbox
from .shopify_schema import SchemaUnavailable


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--shopify-port", type=int, default=8881)
    parser.add_argument("--hubspot-port", type=int, default=8882)
    parser.add_argument("--products", type=int, default=300, help="seeded Shopify products (default 300)")
    parser.add_argument("--orders", type=int, default=0, help="orders to generate at start")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        shop = ShopifySandbox(products=args.products, seed=args.seed).start(args.host, args.shopify_port)
    except SchemaUnavailable as error:
        sys.exit(str(error))  # what to do, without a traceback
    hub = HubSpotSandbox(seed=args.seed).start(args.host, args.hubspot_port)
    if args.orders:
        shop.generate_orders(args.orders)
    print("Shopify Admin GraphQL %s" % shop.graphql_url)
    print("  shop domain     %s" % shop.shop_domain)
    print("  access token    %s   (header X-Shopify-Access-Token)" % shop.access_token)
    print("  app secret      %s   (webhook HMAC)" % shop.app_secret)
    print("  control         %s/_sandbox/{faults,requests,reset,webhooks,orders,state}" % shop.url)
    print("HubSpot CRM       %s" % hub.url)
    print("  token           %s   (header Authorization: Bearer ...)" % hub.token)
    print("  client secret   %s   (webhook X-HubSpot-Signature-v3)" % hub.client_secret)
    print("  control         %s/_sandbox/{faults,requests,reset,webhooks,webhook-target,state}" % hub.url)
    print(
        "Seed %d, %d products, %d variants. Ctrl-C to stop."
        % (args.seed, len(shop.store.products), len(shop.store.variants)),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        shop.stop()
        hub.stop()


if __name__ == "__main__":
    main()
