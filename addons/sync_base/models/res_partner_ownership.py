from odoo import models


class ResPartner(models.Model):
    # Customer identity (name, email, phone) is owned by the CRM in the default map.
    _name = "res.partner"
    _inherit = ["res.partner", "sync.owned.mixin"]
