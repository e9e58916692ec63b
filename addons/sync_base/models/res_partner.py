from odoo import models


class ResPartner(models.Model):
    # Partners are synced by every connector (store customers, CRM contacts).
    _name = "res.partner"
    _inherit = ["res.partner", "sync.bound.mixin"]
