import base64
import collections
import hashlib
import hmac
import json
import logging
import threading
import time
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncAuthError, SyncError, SyncRateLimitError, SyncValidationError

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.hubapi.com"
# HubSpot's documented replay window for v3 signatures.
SIGNATURE_MAX_AGE_MS = 5 * 60 * 1000
# Requests kept in reserve of the daily budget for people clicking buttons.
DAILY_RESERVE = 100
OBJECT_OPERATIONS = {"contact": "contact_import", "company": "company_import", "deal": "deal_import"}
OBJECT_TYPES = {"contact": "contacts", "company": "companies", "deal": "deals"}  # binding external types
ODOO_ID = "odoo_id"
# Properties the connector creates on first connection. ERP facts are written by
# Odoo only: HubSpot shows them, and an edit there is reported and overwritten.
CUSTOM_PROPERTIES = {
    "contacts": [
        (ODOO_ID, "Odoo ID", "string", "text"),
        ("odoo_customer_since", "Customer since (Odoo)", "date", "date"),
        ("odoo_total_invoiced", "Total invoiced (Odoo)", "number", "number"),
        ("odoo_open_orders", "Open orders (Odoo)", "number", "number"),
        ("odoo_last_order_date", "Last order date (Odoo)", "date", "date"),
        ("odoo_outstanding_balance", "Outstanding balance (Odoo)", "number", "number"),
    ],
    "deals": [
        (ODOO_ID, "Odoo ID", "string", "text"),
        ("odoo_order_ref", "Order reference (Odoo)", "string", "text"),
    ],
}
CUSTOM_PROPERTIES["companies"] = CUSTOM_PROPERTIES["contacts"]
PROPERTY_GROUPS = {"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}
# The CRM search endpoints have a limit of their own, per account and per second, and answer no rate
# headers to learn it from. HubSpot's changelog raised it from 1 to 4 requests per second
# (developers.hubspot.com/changelog/crm-search-api-rate-limit-increase) and its usage guidelines now
# say 5; the connector keeps to 4, which is within both.
SEARCH_RATE = (4, 1.0)


class RatePacer:
    """Client-side view of HubSpot's rolling window, shared by the jobs of one worker.

    Waiting a few seconds before a request is cheaper than a 429 that reschedules a
    whole batch, and lets a bulk load run at the full rate the account allows.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.hits = collections.deque()
        self.limit = 100
        self.interval = 10.0
        self.daily_remaining = None

    def _forget_old(self, now):
        while self.hits and self.hits[0] <= now - self.interval:
            self.hits.popleft()

    def wait(self):
        with self.lock:
            while True:
                now = time.monotonic()
                self._forget_old(now)
                if len(self.hits) < self.limit:
                    self.hits.append(now)
                    return
                # A margin over the server's own clock: its window starts when the request arrives.
                time.sleep(self.hits[0] + self.interval - now + 0.05)

    def learn(self, headers):
        try:
            self.limit = max(int(headers.get("X-HubSpot-RateLimit-Max") or self.limit), 1)
            interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
            self.interval = int(interval) / 1000 if interval else self.interval
            daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
            self.daily_remaining = int(daily) if daily is not None else self.daily_remaining
            remaining = headers.get("X-HubSpot-RateLimit-Remaining")
            if remaining is not None:
                self._book_others(int(remaining))
        except (TypeError, ValueError):
            _logger.debug("Unreadable HubSpot rate limit headers: %s", headers)

    def _book_others(self, remaining):
        """The window is the account's: other workers (processes, servers) spend it too.

        When HubSpot has fewer calls left than this worker's own log says, the difference
        is booked as calls made now, so that every worker slows down before a 429 instead
        of after it.
        """
        with self.lock:
            now = time.monotonic()
            self._forget_old(now)
            self.hits.extend([now] * max(self.limit - len(self.hits) - remaining, 0))


def _missing_scopes_of(response):
    """The scopes a 403 names, or None when it is not about scopes: HubSpot answers a call outside the
    token's scopes with category MISSING_SCOPES and the scopes in errors[].context.requiredGranularScopes."""
    try:
        answer = response.json()
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("category") != "MISSING_SCOPES":
        return None
    return [scope for error in answer.get("errors") or [] if isinstance(error, dict)
            for scope in (error.get("context") or {}).get("requiredGranularScopes") or []]


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    code = fields.Selection(selection_add=[("hubspot", "HubSpot")], ondelete={"hubspot": "set default"})
    hubspot_partner_scope = fields.Selection(
        [("customers", "All customers"), ("tagged", "Only tagged partners")],
        string="Partners to sync",
        default="customers",
        help="All customers: every partner with a sale (and its contacts). Only tagged: partners with the tag below.",
    )
    hubspot_category_id = fields.Many2one("res.partner.category", string="Tag to sync")
    hubspot_pipeline_id = fields.Char("Deal pipeline", default="default", help="HubSpot id of the pipeline for deals.")
    hubspot_stage_ids = fields.One2many("sync.hubspot.stage", "backend_id", string="Deal stages")
    hubspot_team_id = fields.Many2one(
        "crm.team", string="Sales team for quotations", help="Team of the quotations created from won deals."
    )
    hubspot_property_names = fields.Text(
        help="Properties HubSpot knows per object type (JSON), read at Test connection; others are not sent."
    )
    hubspot_poll_state = fields.Text(help="Last modification time (ms) seen by the poll, per object type (JSON).")
    hubspot_poll_overlap = fields.Integer(
        "Poll overlap (s)", default=300, help="The poll looks back this far before its last run, for late writes."
    )

    _hubspot_pacers = {}

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------
    def _hubspot_pacer(self, search=False):
        """This worker's view of the account's rolling window; ``search``: of the search endpoints' own."""
        key = (self.env.cr.dbname, self.id, search)
        if key not in self._hubspot_pacers:
            pacer = RatePacer()
            if search:
                pacer.limit, pacer.interval = SEARCH_RATE
            self._hubspot_pacers[key] = pacer
        return self._hubspot_pacers[key]

    def _hubspot_call(self, method, path, *, body=None, params=None, operation=None, write=None):
        """One HubSpot API call paced to the rate limit; returns the decoded JSON.

        Returns None for a write in dry run. Raises the typed sync errors of ``_http``;
        a 429 carries the wait HubSpot's headers ask for.
        """
        self.ensure_one()
        pacer = self._hubspot_pacer()
        if pacer.daily_remaining is not None and pacer.daily_remaining <= DAILY_RESERVE:
            pacer.daily_remaining = None  # ask again in an hour: the budget may have reset
            raise SyncRateLimitError(
                _("%(backend)s: the HubSpot daily API budget is spent; the job waits for it to reset.",
                  backend=self.name),
                retry_after=3600,
            )
        url = (self.api_url or DEFAULT_API_URL).rstrip("/") + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        pacer.wait()
        if path.endswith("/search"):
            self._hubspot_pacer(search=True).wait()
        token = self._hubspot_access_token()
        try:
            try:
                response = self._http(method, url, json_body=body, write=write, operation=operation,
                                      headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            except SyncAuthError as error:
                # An OAuth token refused before its time (revoked, or renewed elsewhere): renewed once and
                # sent again; a 401 was not processed, so this is safe for writes too. A 403 is a scope
                # the token lacks: a new token would not have it either.
                if self.sudo().hubspot_auth_method != "oauth" or error.status_code != 401:
                    raise
                token = self._hubspot_access_token(renew_from=token)
                response = self._http(method, url, json_body=body, write=write, operation=operation,
                                      headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except SyncRateLimitError as error:
            error.retry_after = max(error.retry_after or 0, self._hubspot_rate_wait(error.exchange, pacer))
            raise
        if response is None:
            return None
        pacer.learn(response.headers)
        return response.json() if response.content else {}

    def _raise_for_status(self, response, exchange):
        if self.code == "hubspot" and response.status_code == 403:
            missing = _missing_scopes_of(response)
            if missing is not None:
                raise SyncAuthError(_(
                    "HubSpot refused the call: the app of backend %(name)s was not granted the scope %(scopes)s. "
                    "%(fix)s Then Retry the job.", name=self.name, scopes=", ".join(missing) or "?",
                    fix=self._scopes_fix_hint()), exchange=exchange, status_code=403)
        return super()._raise_for_status(response, exchange)

    @staticmethod
    def _hubspot_rate_wait(exchange, pacer):
        # HubSpot sends no Retry-After: the 10-second window (or 1 s for search) is the wait.
        try:
            headers = json.loads(exchange["response_headers"] or "{}") if exchange else {}
            policy = json.loads(exchange["response_body"] or "{}").get("policyName") if exchange else None
        except (ValueError, TypeError, KeyError):
            headers, policy = {}, None
        pacer.learn(headers)
        if policy == "SECONDLY":
            return 1
        return pacer.interval

    @staticmethod
    def _hubspot_status(error):
        exchange = getattr(error, "exchange", None)
        try:
            return exchange["status_code"] if exchange else None
        except KeyError:
            return None

    def _hubspot_get(self, otype, object_id, properties, associations=None, operation=None):
        """The object, or None when HubSpot no longer has it."""
        params = {"properties": ",".join(properties)}
        if associations:
            params["associations"] = ",".join(associations)
        try:
            return self._hubspot_call("GET", f"/crm/v3/objects/{otype}/{object_id}", params=params,
                                      operation=operation)
        except SyncValidationError as error:
            if self._hubspot_status(error) == 404:
                return None
            raise

    # ------------------------------------------------------------------
    # Connection and first-time setup
    # ------------------------------------------------------------------
    def action_test_connection(self):
        if self.code != "hubspot":
            return super().action_test_connection()
        self.ensure_one()
        try:
            created = self._hubspot_setup()
            self._hubspot_read_token_info()
        except SyncError as error:
            self.state = "disconnected"
            return self._notify(_("Connection failed"), error.message, "danger")
        self.state = "connected"
        message = _("HubSpot account %(account)s answered; %(count)s deal stages read.",
                    account=self.hubspot_portal_id or "?", count=len(self.hubspot_stage_ids))
        if created:
            message += " " + _("Created properties: %s.", ", ".join(created))
        return self._connection_notification(message)

    def _hubspot_setup(self):
        """Create the properties the connector needs and read the deal pipeline; returns what was created."""
        created, known = [], {}
        for otype, definitions in CUSTOM_PROPERTIES.items():
            existing = {p["name"] for p in self._hubspot_call("GET", f"/crm/v3/properties/{otype}")["results"]}
            for name, label, kind, field_type in definitions:
                if name in existing:
                    continue
                self._hubspot_call("POST", f"/crm/v3/properties/{otype}", body={
                    "name": name, "label": label, "type": kind, "fieldType": field_type,
                    "groupName": PROPERTY_GROUPS[otype], "hasUniqueValue": name == ODOO_ID,
                    "formField": False,
                    "description": _("Maintained by Odoo: a change made in HubSpot is reported and overwritten."),
                }, operation="setup")
                existing.add(name)
                created.append(f"{otype}.{name}")
            known[otype] = sorted(existing)
        self.hubspot_property_names = json.dumps(known)
        self._hubspot_read_stages()
        return created

    def _hubspot_read_stages(self):
        pipelines = self._hubspot_call("GET", "/crm/v3/pipelines/deals")["results"]
        pipeline = next((p for p in pipelines if p["id"] == self.hubspot_pipeline_id), pipelines[:1] and pipelines[0])
        if not pipeline:
            return
        self.hubspot_pipeline_id = pipeline["id"]
        self.env["sync.hubspot.stage"]._sync_from_pipeline(self, pipeline)

    def _hubspot_known_properties(self, otype):
        """Property names HubSpot has for ``otype``, or None when not read yet (send everything)."""
        known = json.loads(self.hubspot_property_names or "{}").get(otype)
        return set(known) if known else None

    # ------------------------------------------------------------------
    # Webhooks
    # ------------------------------------------------------------------
    def _hubspot_signature_ok(self, method, uri, body, timestamp, signature, *, now_ms=None):
        """HubSpot v3: base64 HMAC-SHA256 over method + URI + body + timestamp, at most 5 minutes old."""
        self.ensure_one()
        secret = self.sudo().webhook_secret
        if not (secret and signature and timestamp and timestamp.isdigit()):
            return False
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        if abs(now_ms - int(timestamp)) > SIGNATURE_MAX_AGE_MS:
            return False
        message = method.encode() + uri.encode() + body + timestamp.encode()
        expected = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, signature)

    def _hubspot_events_problem(self, events):
        """Why ``events`` is not a webhook delivery we can queue, or None."""
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            return _("HubSpot sent a webhook body that is not a JSON list of event objects.")
        return None

    def _hubspot_run_webhook_events(self, job):
        """Retry of a delivery that could not be read: queue its events once the payload is corrected."""
        try:
            events = json.loads(job.payload or "")
        except ValueError as error:
            raise SyncValidationError(
                _("The webhook body is still not valid JSON (%s): correct the payload, then Retry.", error)
            ) from error
        problem = self._hubspot_events_problem(events)
        if problem:
            raise SyncValidationError(problem + " " + _("Correct the payload, then Retry."))
        return _("%s event(s) queued.", len(self._hubspot_receive_events(events)))

    def _webhook_delivery_jobs(self, payload):
        if self.code != "hubspot":
            return super()._webhook_delivery_jobs(payload)
        return self._hubspot_receive_events(payload)

    def _received_deliveries_priority(self):
        # HubSpot's deliveries are who the customer is (contacts, companies) and deals.
        if self.code != "hubspot":
            return super()._received_deliveries_priority()
        return self.priority_customer if self._received_deliveries_count() else None

    def _hubspot_receive_events(self, events):
        """Queue one import job per event; an event already seen (HubSpot retries) is skipped."""
        self.ensure_one()
        Job = self.env["sync.job"].sudo()
        queued = Job.browse()
        foreign = 0
        for event in events if isinstance(events, list) else []:
            if self.hubspot_portal_id and str(event.get("portalId")) != self.hubspot_portal_id:
                # A public app has one webhook address for every account it is installed in: another
                # account's changes are not this backend's to import.
                foreign += 1
                continue
            singular, _dot, kind = str(event.get("subscriptionType", "")).partition(".")
            if kind == "privacyDeletion":
                queued |= self._hubspot_queue_privacy_deletion(event)
                continue
            operation = OBJECT_OPERATIONS.get(singular)
            if not operation or not event.get("objectId") or self._hubspot_is_echo(event):
                continue
            key = f"hubspot_event:{event.get('eventId')}"
            if Job.search_count([("backend_id", "=", self.id), ("dedup_key", "=", key)], limit=1):
                continue
            queued |= self._enqueue(
                operation, external_id=str(event["objectId"]), payload=event, direction="import",
                category="order" if singular == "deal" else "customer", dedup_key=key,
            )
        if foreign:
            _logger.info("HubSpot backend %s: %s webhook event(s) of another account than %s left out",
                         self.name, foreign, self.hubspot_portal_id)
        return queued

    def _hubspot_queue_privacy_deletion(self, event):
        """A contact deleted in HubSpot for privacy compliance (contact.privacyDeletion; HubSpot sends the
        ordinary contact.deletion too): its Odoo partner is erased as far as the law allows."""
        if not event.get("objectId"):
            return self.env["sync.job"]
        return self._enqueue("privacy_redact", external_id=str(event["objectId"]), payload=event,
                             direction="import", category="customer",
                             dedup_key=f"hubspot_event:{event.get('eventId')}")

    def _hubspot_run_privacy_redact(self, job):
        binding = self.env["sync.binding"].sudo()._find(self, "contacts", external_id=job.external_id)
        partners = self.env["res.partner"].sudo().with_context(active_test=False).browse(
            binding.res_id if binding else []).exists()
        # Read before the erasure: what identifies the contact in the bodies the suite stored.
        markers = [job.external_id, *partners.mapped("email"), *partners.mapped("phone")]
        self.env["sync.privacy"]._redact_customer(
            self, partners, markers, _("HubSpot's privacy deletion of contact %s", job.external_id))
        return _("%s partner(s) anonymised.", len(partners))

    def _hubspot_is_echo(self, event):
        """Whether the event only reports our own write back; importing it would read back what we sent.

        Our writes come back as INTEGRATION changes of properties Odoo owns, and as the creation
        of an object Odoo already binds (an object made in HubSpot has no binding yet): a
        20,000-customer initial load would otherwise queue 20,000 imports in the customers'
        lane, ahead of the edits people make meanwhile.
        """
        if event.get("changeSource") != "INTEGRATION":
            return False
        singular, _dot, kind = str(event.get("subscriptionType", "")).partition(".")
        if kind == "creation":
            otype = OBJECT_TYPES.get(singular)
            return bool(otype) and bool(
                self.env["sync.binding"].sudo()._find(self, otype, external_id=str(event.get("objectId")))
            )
        name = event.get("propertyName") or ""
        return name == ODOO_ID or name.startswith("odoo_")

    # ------------------------------------------------------------------
    # Helpers used by the handlers
    # ------------------------------------------------------------------
    @api.model
    def _hubspot_backends(self):
        """HubSpot backends that react to changes in Odoo: tested and live (or dry run)."""
        return self.sudo().search([("code", "=", "hubspot"), ("state", "=", "connected")])

    @api.model
    def _cron_hubspot_poll(self):
        """Queue a poll per backend: catches what webhooks missed. Never raises."""
        for backend in self._hubspot_backends():
            try:
                backend._enqueue("poll", direction="import", category="customer", dedup_key="hubspot_poll")
            except Exception:
                _logger.exception("Could not queue the HubSpot poll of %s", backend.name)
