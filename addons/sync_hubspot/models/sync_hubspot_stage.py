from odoo import api, fields, models


class SyncHubspotStage(models.Model):
    """One stage of the HubSpot deal pipeline and what it means in Odoo.

    Read from HubSpot at Test connection; people then say which stage an order
    status maps to, and which won stage turns a deal into a quotation.
    """

    _name = "sync.hubspot.stage"
    _description = "HubSpot Deal Stage"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer()
    name = fields.Char("Stage", required=True)
    stage_id = fields.Char("HubSpot id", required=True)
    pipeline_id = fields.Char("Pipeline", required=True)
    probability = fields.Float()
    is_closed = fields.Boolean("Closed")
    is_won = fields.Boolean("Won", help="A closed stage with probability 1.")
    order_state = fields.Selection(
        [("sale", "Confirmed order"), ("cancel", "Cancelled order")],
        string="Odoo order status",
        help="Orders in this status move their deal to this stage, when the ownership map gives the stage to Odoo.",
    )
    create_quotation = fields.Boolean(
        help="A deal reaching this stage in HubSpot with no Odoo order creates a quotation for the sales team."
    )

    _sql_constraints = [
        ("stage_uniq", "UNIQUE(backend_id, pipeline_id, stage_id)", "This HubSpot stage is already mapped."),
    ]

    @api.model
    def _sync_from_pipeline(self, backend, pipeline):
        """Add the pipeline's new stages and refresh labels; the mapping people made is kept."""
        existing = {stage.stage_id: stage for stage in backend.hubspot_stage_ids}
        for stage in pipeline.get("stages", []):
            metadata = stage.get("metadata") or {}
            probability = float(metadata.get("probability") or 0.0)
            closed = str(metadata.get("isClosed")).lower() == "true"
            values = {
                "name": stage["label"],
                "sequence": stage.get("displayOrder", 0),
                "probability": probability,
                "is_closed": closed,
                "is_won": closed and probability >= 1.0,
            }
            if stage["id"] in existing:
                existing[stage["id"]].write(values)
                continue
            won = values["is_won"]
            self.create(dict(
                values, backend_id=backend.id, stage_id=stage["id"], pipeline_id=pipeline["id"],
                order_state="sale" if won else ("cancel" if closed else False), create_quotation=won,
            ))
