from odoo import _, fields, models


class SyncBoundMixin(models.AbstractModel):
    """Gives a bound model (partner, product, order...) a smart button to its bindings.

    Connectors inherit it on the models they sync and add the button to the form
    with ``sync_base.sync_binding_smart_button`` (see the partner form for an example).
    """

    _name = "sync.bound.mixin"
    _description = "Record synced with external systems"

    sync_binding_count = fields.Integer(
        "Sync links", compute="_compute_sync_binding_count", groups="sync_base.group_sync_user"
    )

    def _compute_sync_binding_count(self):
        counts = dict(
            self.env["sync.binding"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"], ["__count"]
            )
        )
        for record in self:
            record.sync_binding_count = counts.get(record.id, 0)

    def _sync_bindings(self):
        return self.env["sync.binding"].search([("res_model", "=", self._name), ("res_id", "in", self.ids)])

    def action_view_sync_bindings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_base.sync_binding_action")
        action.update(
            name=_("External links of %s", self.display_name),
            domain=[("res_model", "=", self._name), ("res_id", "=", self.id)],
        )
        return action
