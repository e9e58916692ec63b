from odoo import _, api, fields, models
from odoo.exceptions import UserError


class SyncRecordLinkMixin(models.AbstractModel):
    """Points at any Odoo record by model name and id (jobs, bindings).

    A plain reference rather than a Many2one per model: the queue and the bindings
    serve every synced model, including ones installed after sync_base.
    """

    _name = "sync.record.link.mixin"
    _description = "Link to a synced Odoo record"

    # Lookups by record always give the id: a model name alone (a handful of values) would
    # only give PostgreSQL an index to walk every link of that model with.
    res_model = fields.Char("Model")
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", index="btree_not_null")
    record_name = fields.Char("Record", compute="_compute_record_name")

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for link in self:
            link.record_name = False
            if link.res_model in self.env and link.res_id:
                record = self.env[link.res_model].browse(link.res_id).exists()
                link.record_name = record.sudo().display_name if record else _("(deleted) %s", link.res_id)

    def action_open_record(self):
        self.ensure_one()
        if not (self.res_model and self.res_id):
            raise UserError(_("%s is not linked to an Odoo record.", self.display_name))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }
