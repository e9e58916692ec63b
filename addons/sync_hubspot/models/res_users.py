from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    hubspot_owner_id = fields.Char(
        "HubSpot owner id", help="This user's owner id in HubSpot: contacts HubSpot gives to them get them as "
        "salesperson in Odoo."
    )
