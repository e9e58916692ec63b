#!/usr/bin/env python3
"""sandbox_transport: how fast the emulators answer a client that keeps its connection alive.

The connectors (requests.Session) send every call of a job on one kept-alive connection, so the
sandbox's answer time on such a connection is part of every benchmark that talks to it
(order_import, stock_push, crm_initial_load, soak). A server that writes an answer in small pieces
meets the client's delayed ACK on a kept connection and takes ~45 ms per call instead of ~1 ms,
which no fresh-connection measure shows.

For each emulator, the same small read (HubSpot: a contact by id; Shopify: the shop query) is sent
``--requests`` times on one kept-alive connection, then the same number of times on a new
connection each, alternated over ``--rounds`` rounds. The figure is the lower of the two emulators'
ratios kept / fresh (requests per second); the baseline is the fresh connection, measured in the
same run. The last line is ``RESULT sandbox_transport <ratio> x target >= 1.0 PASS|FAIL``.

Run from the project root: ``bench/sandbox_transport [--requests 500] [--rounds 3]``. No Odoo,
no database; the Shopify emulator needs the Shopify schema (see README).
"""

import argparse
import sys
import time

import requests
from _odoo import run_reporting_failure

from sandbox import HubSpotSandbox, ShopifySandbox
from sandbox import shopify_documents as docs

NAME = "sandbox_transport"
TARGET = 1.0


def say(message):
    print(f"[{NAME}] {message}", flush=True)


def hubspot_call(server):
    contact_id = sorted(server.store.objects["contacts"])[0]
    url = f"{server.url}/crm/v3/objects/contacts/{contact_id}"
    headers = {"Authorization": "Bearer " + server.token}

    def call(http):
        answer = http.get(url, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text[:200]

    return call


def shopify_call(server):
    headers = {"X-Shopify-Access-Token": server.access_token}

    def call(http):
        answer = http.post(server.graphql_url, json={"query": docs.SHOP}, headers=headers, timeout=5)
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text[:200]

    return call


def rate(call, count, kept):
    """Requests per second: on one kept session, or a new session (and connection) per request."""
    session = requests.Session()
    started = time.perf_counter()
    for _ in range(count):
        if kept:
            call(session)
        else:
            with requests.Session() as fresh:
                call(fresh)
    return count / (time.perf_counter() - started)


def measure(label, server, make_call, count, rounds):
    kept, fresh = [], []
    with server:
        call = make_call(server)
        rate(call, 20, kept=True)  # warm-up: schema, caches, worker threads
        for _ in range(rounds):
            kept.append(rate(call, count, kept=True))
            fresh.append(rate(call, count, kept=False))
    best_kept, best_fresh = max(kept), max(fresh)
    say(f"{label}: kept-alive {best_kept:.0f} req/s ({1000 / best_kept:.2f} ms), "
        f"fresh connection {best_fresh:.0f} req/s ({1000 / best_fresh:.2f} ms): ratio {best_kept / best_fresh:.2f}")
    return best_kept / best_fresh


def run(args):
    hubspot = HubSpotSandbox(seed=1, contacts=5, companies=0, deals=0, rate_limit=10**9)
    shopify = ShopifySandbox(products=2, customers=1, seed=1, bucket_max=10**9, restore_rate=10**9)
    ratios = [
        measure("HubSpot", hubspot, hubspot_call, args.requests, args.rounds),
        measure("Shopify", shopify, shopify_call, args.requests, args.rounds),
    ]
    figure = min(ratios)
    verdict = "PASS" if figure >= TARGET else "FAIL"
    print(f"RESULT {NAME} {figure:.2f} x target >= {TARGET} {verdict}", flush=True)
    return 0 if verdict == "PASS" else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    return run_reporting_failure(NAME, f"0 x target >= {TARGET}", lambda: run(args), say)


if __name__ == "__main__":
    sys.exit(main())
