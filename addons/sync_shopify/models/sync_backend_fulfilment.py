from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncAuthError, SyncRemoteError, SyncValidationError

from . import shopify_documents as docs

OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
# Fulfilment orders Shopify will let us fulfil later, once released or due: the job waits for them.
WAITING_STATUSES = ("ON_HOLD", "SCHEDULED")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _shopify_run_fulfilment_export(self, job):
        """Create the Shopify fulfilments of one done delivery: its quantities, carrier and tracking.

        ``fulfillmentCreate`` takes the fulfilment orders of one location only ("assigned to the same
        Location", the schema's description), and Shopify splits an order over its locations: one
        fulfilment is created per location the delivered quantities are found at, the locations
        mapped to the delivery's warehouse first.
        """
        picking = self.env["stock.picking"].browse(job.res_id).exists()
        Binding = self.env["sync.binding"].sudo()
        if not picking or Binding._find(self, "fulfillment", record=picking):
            return _("Nothing to do: the delivery is gone or already sent.")
        order_binding = Binding._find(self, "order", record=picking.sale_id)
        if not order_binding:
            raise SyncValidationError(
                _("%(picking)s belongs to %(order)s, which is not linked to a Shopify order.",
                  picking=picking.name, order=picking.sale_id.name)
            )
        self._require_scopes("fulfilment")
        client = self._shopify_client()
        order = client.execute(
            docs.ORDER_FULFILMENT_ORDERS, {"id": order_binding.external_id}, operation="fulfilment_orders"
        )["order"]
        if not order["fulfillmentOrders"]["nodes"]:
            # Every Shopify order has at least one fulfilment order; none means the app may not see
            # them (a missing scope), never that there is nothing to send.
            raise SyncAuthError(
                _("Shopify shows no fulfilment order for %(order)s, so %(picking)s cannot be sent. The app of backend "
                  "%(name)s probably lacks the scope write_merchant_managed_fulfillment_orders: grant it, install "
                  "the new version, Test connection, then Retry.", order=picking.sale_id.name, picking=picking.name,
                  name=self.name)
            )
        tracking = picking.carrier_tracking_ref
        wanted = self._shopify_delivered_quantities(picking)
        self._shopify_check_hidden_items(picking, order, wanted)
        # An earlier attempt whose answer was lost already sent part of it: send only the rest.
        already = self._shopify_sent_with_tracking(order, tracking, wanted)
        if already and not any(wanted.values()):
            Binding._bind(self, "fulfillment", picking, already[0])
            return _("Already in Shopify as %(gids)s.", gids=", ".join(already))
        by_location = self._shopify_fulfilment_groups(picking, order, wanted)
        if not by_location:
            self._shopify_check_waiting(picking, order, wanted)
            return _("Nothing left to fulfil in Shopify for %(picking)s.", picking=picking.name)
        created = [self._shopify_create_fulfilment(client, picking, groups, tracking) for groups in by_location]
        if any(gid is None for gid in created):
            return _("Dry run: the fulfilment was recorded, nothing was sent.")
        Binding._bind(self, "fulfillment", picking, created[0])
        return _("Fulfilment %(gids)s created.", gids=", ".join(already + created))

    def _shopify_create_fulfilment(self, client, picking, groups, tracking):
        """One ``fulfillmentCreate`` for the fulfilment orders of one location; the new gid (None in dry run)."""
        fulfilment = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": True}
        if tracking:
            fulfilment["trackingInfo"] = {
                "number": tracking,
                "url": picking.carrier_tracking_url or None,
                "company": picking.carrier_id.name or None,
            }
        result = client.execute(
            docs.FULFILMENT_CREATE, {"fulfillment": fulfilment}, operation="fulfilment_create", write=True
        )
        if result is None:
            return None
        answer = result["fulfillmentCreate"]
        if answer["userErrors"]:
            raise SyncValidationError(
                _("Shopify refused the fulfilment of %(picking)s: %(errors)s. Check the delivered quantities "
                  "against the order in Shopify, then Retry.", picking=picking.name,
                  errors="; ".join(error["message"] for error in answer["userErrors"]))
            )
        return answer["fulfillment"]["id"]

    @staticmethod
    def _shopify_delivered_quantities(picking):
        """{Shopify line item gid: quantity delivered by ``picking``}, in the order line's unit."""
        wanted = {}
        for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id.shopify_line_item_gid):
            gid = move.sale_line_id.shopify_line_item_gid
            wanted[gid] = wanted.get(gid, 0) + int(move.product_uom._compute_quantity(
                move.quantity, move.sale_line_id.product_uom))
        return wanted

    @staticmethod
    def _shopify_sent_with_tracking(order, tracking, wanted):
        """The gids of the fulfilments already carrying ``tracking``; their quantities are taken off ``wanted``."""
        if not tracking:
            return []
        sent = []
        for fulfilment in order.get("fulfillments") or []:
            if not any(info.get("number") == tracking for info in fulfilment.get("trackingInfo") or []):
                continue
            sent.append(fulfilment["id"])
            for line in (fulfilment.get("fulfillmentLineItems") or {}).get("nodes") or []:
                gid = line["lineItem"]["id"]
                wanted[gid] = max(wanted.get(gid, 0) - line["quantity"], 0)
        return sent

    def _shopify_fulfilment_groups(self, picking, order, wanted):
        """Delivered quantities spread over the open fulfilment order lines: a list, one entry per
        location, of ``lineItemsByFulfillmentOrder`` groups. ``wanted`` keeps what found no open line."""
        preferred = set(self._shopify_locations_of(picking.location_id))
        fulfilment_orders = sorted(
            (fo for fo in order["fulfillmentOrders"]["nodes"] if fo["status"] in OPEN_STATUSES),
            key=lambda fo: self._shopify_assigned_location(fo) not in preferred,
        )
        by_location = {}
        for fulfilment_order in fulfilment_orders:
            items = []
            for line in fulfilment_order["lineItems"]["nodes"]:
                gid = line["lineItem"]["id"]
                quantity = min(wanted.get(gid, 0), line["remainingQuantity"])
                if quantity > 0:
                    items.append({"id": line["id"], "quantity": quantity})
                    wanted[gid] -= quantity
            if items:
                by_location.setdefault(self._shopify_assigned_location(fulfilment_order), []).append(
                    {"fulfillmentOrderId": fulfilment_order["id"], "fulfillmentOrderLineItems": items}
                )
        return list(by_location.values())

    @staticmethod
    def _shopify_assigned_location(fulfilment_order):
        return ((fulfilment_order.get("assignedLocation") or {}).get("location") or {}).get("id")

    def _shopify_locations_of(self, location):
        """The Shopify location gids whose mapped Odoo locations hold ``location``."""
        return [
            mapping.shopify_gid for mapping in self.shopify_location_ids
            if location and any(location.parent_path.startswith(mapped.parent_path) for mapped in mapping.location_ids)
        ]

    def _shopify_check_hidden_items(self, picking, order, wanted):
        """Refuse, before sending anything, a delivery whose items sit in no fulfilment order the app sees.

        Shopify returns only the fulfilment orders the app's scopes cover: items a fulfilment service
        (a third-party warehouse) is to ship are in fulfilment orders the app may not see. Sending the
        rest and reporting success would leave the customer without those items' tracking. Only judged
        when every fulfilment order and line was read (the query reads the first pages).
        """
        fulfilment_orders = order["fulfillmentOrders"]
        if fulfilment_orders["pageInfo"]["hasNextPage"] or any(
                fo["lineItems"]["pageInfo"]["hasNextPage"] for fo in fulfilment_orders["nodes"]):
            return
        seen = {line["lineItem"]["id"] for fo in fulfilment_orders["nodes"] for line in fo["lineItems"]["nodes"]}
        hidden = {gid for gid, quantity in wanted.items() if quantity > 0 and gid not in seen}
        if hidden:
            products = picking.move_ids.sale_line_id.filtered(lambda line: line.shopify_line_item_gid in hidden)
            raise SyncAuthError(self.env._(
                "Shopify shows the app no fulfilment order holding %(products)s of %(order)s, so %(picking)s was not "
                "sent: they are assigned to a location the app may not see, usually a fulfilment service's. Grant "
                "the app the scope write_third_party_fulfillment_orders (or fulfil them in Shopify), Test "
                "connection, then Retry.", products=", ".join(products.mapped("product_id.display_name")),
                order=picking.sale_id.name, picking=picking.name))

    def _shopify_check_waiting(self, picking, order, wanted):
        """Nothing open to fulfil: when what was delivered waits on a held or scheduled fulfilment
        order, the job is retried later rather than reported done (the customer would never get
        the tracking number)."""
        waiting = [
            fo for fo in order["fulfillmentOrders"]["nodes"]
            if fo["status"] in WAITING_STATUSES
            and any(wanted.get(line["lineItem"]["id"]) for line in fo["lineItems"]["nodes"])
        ]
        if waiting:
            raise SyncRemoteError(
                self.env._("The fulfilment of %(picking)s waits: Shopify holds its items (%(statuses)s). It is sent "
                           "once the fulfilment order is released in Shopify; release it there to send it now.",
                           picking=picking.name, statuses=", ".join(sorted({fo["status"] for fo in waiting})))
            )
