import logging
import threading
import time
from datetime import date

from odoo import _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncError
from odoo.exceptions import UserError

from . import shopify_documents as docs
from .shopify_client import ShopifyClient

_logger = logging.getLogger(__name__)

API_VERSION = "2026-04"
# Shopify supports each quarterly version "for a minimum of 12 months" (shopify.dev/docs/api/usage/versioning).
SUPPORT_MONTHS = 12
WARN_DAYS_BEFORE_END = 90
NOTICE_INTERVAL = 24 * 3600  # a deprecation notice is posted once a day per backend and worker
SCHEDULES = [
    ("realtime", "As changes happen"),
    ("nightly", "In the nightly window"),
    ("manual", "Only when asked"),
]


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    code = fields.Selection(selection_add=[("shopify", "Shopify")], ondelete={"shopify": "set default"})
    shopify_shop_domain = fields.Char(
        "Shop domain", help="e.g. my-shop.myshopify.com. The API address is built from it unless API URL is set."
    )
    shopify_api_version = fields.Char("API version", default=API_VERSION, required=True)
    shopify_api_supported_until = fields.Date(
        "Version supported until", compute="_compute_shopify_api_supported_until",
        help="Shopify supports each API version at least 12 months after its release; after that it answers "
        "with the oldest version it still supports, which may behave differently. Update the suite before.",
    )
    shopify_pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist",
        help="Prices sent to Shopify. The product's sales price is the compare-at price when the pricelist "
        "gives less. Empty: the sales price.",
    )
    shopify_location_ids = fields.One2many("sync.shopify.location", "backend_id", string="Locations")
    shopify_safety_stock = fields.Float(
        "Safety stock",
        help="Units held back from every variant's published stock, unless its product or category sets its own.",
    )
    shopify_schedule_products = fields.Selection(SCHEDULES, "Products and prices", default="realtime", required=True)
    shopify_schedule_stock = fields.Selection(SCHEDULES, "Stock", default="realtime", required=True)
    shopify_schedule_images = fields.Selection(SCHEDULES, "Images", default="nightly", required=True)
    shopify_schedule_full_sync = fields.Selection(
        [("nightly", "Every night"), ("manual", "Only when asked")], "Full reconcile", default="manual", required=True
    )
    shopify_products_pulled_at = fields.Char(
        "Pulled product changes until", help="Shopify time of the newest product update imported."
    )

    _shopify_notices = {}  # (database, backend id, notice) -> when this worker last posted it
    _shopify_notices_lock = threading.Lock()

    @api.depends("shopify_api_version")
    def _compute_shopify_api_supported_until(self):
        for backend in self:
            backend.shopify_api_supported_until = self._shopify_version_end(backend.shopify_api_version)

    @staticmethod
    def _shopify_version_end(version):
        """The day a ``YYYY-MM`` version's 12 months of support end; False for "unstable" or a typo."""
        try:
            year, month = (int(part) for part in (version or "").split("-"))
            return date(year + SUPPORT_MONTHS // 12, month, 1)
        except ValueError:
            return False

    def _shopify_note_api_version(self, headers, operation):
        """Make Shopify's version signals visible on the backend: the deprecated fields a call used
        (``X-Shopify-API-Deprecated-Reason``) and an answer from another version than the one asked for
        (``X-Shopify-API-Version``: Shopify falls forward once a version is no longer supported)."""
        deprecated = headers.get("X-Shopify-API-Deprecated-Reason")
        answered = headers.get("X-Shopify-API-Version")
        if deprecated:
            self._shopify_post_notice(deprecated, _(
                "Shopify reports deprecated API use in %(operation)s: %(fields)s. It keeps working until the "
                "version that removes them; update the suite before then.", operation=operation, fields=deprecated))
        if answered and answered != self.shopify_api_version:
            self._shopify_post_notice("version:" + answered, _(
                "Shopify answered with API version %(answered)s instead of %(asked)s: the version asked for is no "
                "longer supported. Update the suite, then set the backend's API version.",
                answered=answered, asked=self.shopify_api_version))

    def _shopify_post_notice(self, key, message):
        notice = (self.env.cr.dbname, self.id, key)
        with self._shopify_notices_lock:
            if time.monotonic() - self._shopify_notices.get(notice, -NOTICE_INTERVAL) < NOTICE_INTERVAL:
                return
            self._shopify_notices[notice] = time.monotonic()
        _logger.warning("Shopify backend %s: %s", self.name, message)
        self.sudo().message_post(body=message)

    def _shopify_check_api_version(self):
        """An activity for the responsible once the API version's support ends within 90 days."""
        end = self.shopify_api_supported_until
        if not end or (end - fields.Date.today()).days > WARN_DAYS_BEFORE_END:
            return
        summary = _("Shopify API %(version)s: support ends %(end)s", version=self.shopify_api_version, end=end)
        if self.activity_ids.filtered(lambda activity: activity.summary == summary):
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, user_id=(self.user_id or self.env.user).id,
            note=_("After %(end)s Shopify answers with a newer API version, which may change what the connector "
                   "reads and writes. Update the suite to a release made for a newer version, then set it on the "
                   "backend and Test connection.", end=end),
        )

    # ------------------------------------------------------------------
    # Connection
    # ------------------------------------------------------------------
    def _shopify_base_url(self):
        self.ensure_one()
        base = self.api_url or (f"https://{self.shopify_shop_domain}" if self.shopify_shop_domain else "")
        if not base:
            raise SyncError(
                _("Shopify backend %(name)s has neither a shop domain nor an API URL: set one.", name=self.name)
            )
        return base.rstrip("/")

    def _shopify_graphql_url(self):
        return f"{self._shopify_base_url()}/admin/api/{self.shopify_api_version}/graphql.json"

    def _shopify_headers(self, renew_from=None):
        return {"X-Shopify-Access-Token": self._shopify_access_token(renew_from=renew_from)}

    def _shopify_client(self):
        self.ensure_one()
        return ShopifyClient(self)

    def _shopify_backends(self, schedule_field=None, schedule="realtime"):
        """Active Shopify backends of the current company whose ``schedule_field`` is ``schedule``."""
        domain = [("code", "=", "shopify"), ("active", "=", True), ("company_id", "in", self.env.companies.ids)]
        if schedule_field:
            domain.append((schedule_field, "=", schedule))
        return self.sudo().search(domain)

    def write(self, vals):
        if {"api_url", "shopify_shop_domain"} & vals.keys():
            for backend in self:
                ShopifyClient.forget(backend)
        return super().write(vals)

    def action_test_connection(self):
        self.ensure_one()
        if self.code != "shopify":
            return super().action_test_connection()
        try:
            message = self._shopify_describe_shop()
        except SyncError as error:
            self.state = "disconnected"
            return self._notify(_("Connection failed"), error.message, "danger")
        self.state = "connected"
        return self._connection_notification(message)

    def _shopify_describe_shop(self):
        """The shop's name, plan and cost budget, in plain words."""
        client = self._shopify_client()
        shop = client.execute(docs.SHOP, operation="shop_info")["shop"]
        self._shopify_read_scopes(client)
        bucket = client.bucket
        budget = _(
            "It can spend up to %(maximum)s points of API cost at once, refilled at %(rate)s points per second "
            "(%(available)s available now).",
            maximum=int(bucket.maximum or 0),
            rate=int(bucket.restore_rate or 0),
            available=int(bucket.available or 0),
        )
        return _(
            "Connected to %(shop)s (%(domain)s) on the %(plan)s plan. %(budget)s",
            shop=shop["name"],
            domain=shop["myshopifyDomain"],
            plan=shop["plan"]["publicDisplayName"],
            budget=budget,
        )

    def action_shopify_fetch_locations(self):
        """Add the shop's active locations to the mapping, keeping the ones already there."""
        self.ensure_one()
        try:
            data = self._shopify_client().execute(docs.LOCATIONS, {"first": 50}, operation="locations")
        except SyncError as error:
            raise UserError(error.message) from error
        known = set(self.shopify_location_ids.mapped("shopify_gid"))
        new = [
            {"backend_id": self.id, "name": loc["name"], "shopify_gid": loc["id"]}
            for loc in data["locations"]["nodes"]
            if loc["isActive"] and loc["id"] not in known
        ]
        self.env["sync.shopify.location"].create(new)
        return self._notify(
            _("Locations"),
            _("%(count)s new Shopify locations added. Choose the Odoo locations that feed each.", count=len(new)),
        )

    # ------------------------------------------------------------------
    # Scheduled entry points (never raise: a failing cron gets deactivated)
    # ------------------------------------------------------------------
    def _shopify_each_backend(self, what, method, connected_only=False):
        """Call ``method(backend)`` for each Shopify backend, each in a savepoint: one backend's
        failure is logged with ``what`` was attempted and does not stop the others (crons never raise)."""
        backends = self._shopify_backends()
        if connected_only:
            backends = backends.filtered(lambda backend: backend.state != "disconnected")
        for backend in backends:
            try:
                with self.env.cr.savepoint():
                    method(backend)
            except Exception:
                _logger.exception("Shopify backend %s: could not %s", backend.name, what)

    @api.model
    def _cron_shopify_nightly(self):
        """Queue the work each backend runs in its nightly window."""
        self._shopify_each_backend("queue the nightly work", lambda backend: backend._shopify_queue_nightly())

    def _shopify_queue_nightly(self):
        self.ensure_one()
        if self.shopify_schedule_full_sync == "nightly":
            self._enqueue("full_sync", category="catalogue", dedup_key="shopify_full_sync", heavy=True)
        if self.shopify_schedule_products == "nightly":
            self._shopify_queue_templates(self._shopify_published_templates(), heavy=True)
        if self.shopify_schedule_stock == "nightly":
            self._shopify_queue_stock_push(heavy=True)
        if self.shopify_schedule_images == "nightly":
            for template in self._shopify_published_templates():
                self._enqueue("image_export", record=template, category="catalogue", heavy=True)

    @api.model
    def _cron_shopify_pull_products(self):
        self._shopify_each_backend("queue the product pull", lambda backend: backend._enqueue(
            "product_pull", direction="import", category="catalogue", dedup_key="shopify_product_pull"))

    def action_shopify_full_sync(self):
        self.ensure_one()
        self._enqueue("full_sync", category="catalogue", dedup_key="shopify_full_sync", heavy=True)
        return self._notify(
            _("Full reconcile queued"),
            _("It runs in the nightly window (%(start)s to %(end)s) unless heavy work is allowed at any time.",
              start=self._format_hour(self.window_start), end=self._format_hour(self.window_end)),
        )

    @staticmethod
    def _format_hour(value):
        return "%02d:%02d" % (int(value), round(value % 1 * 60))
