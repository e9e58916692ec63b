from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncValidationError

from . import shopify_documents as docs

OPEN_STATUSES = ("OPEN", "IN_PROGRESS")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _shopify_run_fulfilment_export(self, job):
        """Create the Shopify fulfilment of one done delivery: its quantities, carrier and tracking."""
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
        client = self._shopify_client()
        order = client.execute(
            docs.ORDER_FULFILMENT_ORDERS, {"id": order_binding.external_id}, operation="fulfilment_orders"
        )["order"]
        tracking = picking.carrier_tracking_ref
        done = self._shopify_existing_fulfilment(order, tracking)
        if done:
            # An earlier attempt created it and its answer was lost: link instead of fulfilling twice.
            Binding._bind(self, "fulfillment", picking, done)
            return _("Already in Shopify as %(gid)s.", gid=done)
        groups = self._shopify_fulfilment_groups(picking, order)
        if not groups:
            return _("Nothing left to fulfil in Shopify for %(picking)s.", picking=picking.name)
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
            return _("Dry run: the fulfilment was recorded, nothing was sent.")
        answer = result["fulfillmentCreate"]
        if answer["userErrors"]:
            raise SyncValidationError(
                _("Shopify refused the fulfilment of %(picking)s: %(errors)s. Check the delivered quantities "
                  "against the order in Shopify, then Retry.", picking=picking.name,
                  errors="; ".join(error["message"] for error in answer["userErrors"]))
            )
        Binding._bind(self, "fulfillment", picking, answer["fulfillment"]["id"])
        return _("Fulfilment %(gid)s created.", gid=answer["fulfillment"]["id"])

    @staticmethod
    def _shopify_existing_fulfilment(order, tracking):
        if not tracking:
            return False
        for fulfilment in order.get("fulfillments") or []:
            if any(info.get("number") == tracking for info in fulfilment.get("trackingInfo") or []):
                return fulfilment["id"]
        return False

    @staticmethod
    def _shopify_fulfilment_groups(picking, order):
        """Delivered quantities spread over the open fulfilment order lines of each Shopify line item."""
        wanted = {}
        for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id.shopify_line_item_gid):
            gid = move.sale_line_id.shopify_line_item_gid
            wanted[gid] = wanted.get(gid, 0) + int(move.product_uom._compute_quantity(
                move.quantity, move.sale_line_id.product_uom))
        groups = []
        for fulfilment_order in order["fulfillmentOrders"]["nodes"]:
            if fulfilment_order["status"] not in OPEN_STATUSES:
                continue
            items = []
            for line in fulfilment_order["lineItems"]["nodes"]:
                gid = line["lineItem"]["id"]
                quantity = min(wanted.get(gid, 0), line["remainingQuantity"])
                if quantity > 0:
                    items.append({"id": line["id"], "quantity": quantity})
                    wanted[gid] -= quantity
            if items:
                groups.append({"fulfillmentOrderId": fulfilment_order["id"], "fulfillmentOrderLineItems": items})
        return groups
