import contextvars
import json
import logging
import random
import time
from datetime import timedelta

import pytz
import requests
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..exceptions import (
    SyncAuthError,
    SyncNetworkError,
    SyncRateLimitError,
    SyncRemoteError,
    SyncValidationError,
)
from ..flows import sync_work_in_flow

_logger = logging.getLogger(__name__)

REDACTED = "***"
# Headers that carry credentials in the APIs we talk to; never stored in clear.
SENSITIVE_HEADERS = {
    "authorization",
    "cookie",
    "set-cookie",
    "x-shopify-access-token",
    "x-shopify-hmac-sha256",
    "x-hubspot-signature-v3",
}
# Exchanges of the job running in this thread, until its outcome is known (see
# ``_log_exchange``). Not in the context: a value unique to each job would give every job
# new Environments, which stay in the transaction's set that each new Environment is looked
# up in, so every job of a long queue run made the next ones slower.
RUNNING_JOB_EXCHANGES = contextvars.ContextVar("sync_base_running_job_exchanges", default=None)
JOB_CATEGORIES = [
    ("order", "Orders"),
    ("customer", "Customers"),
    ("stock", "Stock"),
    ("catalogue", "Catalogue"),
    ("other", "Other"),
]
# Work that must not wait for the queue's next minute: money, who the customer is, what is left to sell.
URGENT_CATEGORIES = ("order", "customer", "stock")


class SyncBackend(models.Model):
    """One connection to an external system.

    Connectors extend ``code`` with ``selection_add`` and add their own fields and
    handlers (the ``payment.provider`` pattern). A job's work is dispatched to
    ``_<code>_run_<operation>(job)`` on the backend, falling back to the generic
    ``_sync_run_<operation>(job)`` that every backend has.
    """

    _name = "sync.backend"
    _description = "Sync Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        selection=[("none", "No connector")],
        string="Connector",
        required=True,
        default="none",
        ondelete={"none": "cascade"},
        tracking=True,
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    mode = fields.Selection(
        [("live", "Live"), ("dry_run", "Dry run")],
        required=True,
        default="live",
        tracking=True,
        help="Dry run computes and records in the exchange log exactly what would be "
        "sent, and sends nothing.",
    )
    state = fields.Selection(
        [("draft", "Not tested"), ("connected", "Connected"), ("disconnected", "Disconnected")],
        default="draft",
        required=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Receives one activity per kind of failure when jobs of this backend fail.",
    )
    api_url = fields.Char("API URL", help="Base address of the external API.")
    api_token = fields.Char(
        "Access token", groups="sync_base.group_sync_manager", copy=False, tracking=False
    )
    webhook_secret = fields.Char(groups="sync_base.group_sync_manager", copy=False)
    granted_scopes = fields.Char(
        "Granted scopes", readonly=True, copy=False,
        help="What the platform said the connection may do, at the last Test connection.",
    )
    request_timeout = fields.Integer("Request timeout (s)", default=30)

    # Queue settings
    batch_size = fields.Integer(default=100, help="Jobs claimed and committed together.")
    max_attempts = fields.Integer(default=8)
    retry_base_delay = fields.Integer(
        "First retry after (s)", default=30, help="Doubles at each attempt."
    )
    retry_max_delay = fields.Integer("Longest retry delay (s)", default=3600)
    retry_jitter = fields.Float(
        default=0.2,
        help="Random spread applied to each delay (0.2 = +/-20%) so that jobs that failed "
        "together do not all retry at the same second.",
    )
    priority_order = fields.Integer("Orders priority", default=10)
    priority_customer = fields.Integer("Customers priority", default=20)
    priority_stock = fields.Integer("Stock priority", default=30)
    priority_catalogue = fields.Integer("Catalogue priority", default=40)
    priority_other = fields.Integer("Other priority", default=50)
    exchange_retention_days = fields.Integer("Keep exchange log (days)", default=30)

    # Sync windows
    restrict_heavy_to_window = fields.Boolean(
        "Heavy work at night only",
        default=True,
        help="Full catalogue loads, image uploads and other heavy jobs wait for the nightly window.",
    )
    window_start = fields.Float("Night window from", default=2.0)
    window_end = fields.Float("Night window until", default=5.0)
    blackout_ids = fields.One2many("sync.blackout", "backend_id", string="Blackout windows")

    # Dashboard
    job_ids = fields.One2many("sync.job", "backend_id")
    job_pending_count = fields.Integer(compute="_compute_dashboard")
    job_running_count = fields.Integer(compute="_compute_dashboard")
    job_failed_count = fields.Integer(compute="_compute_dashboard")
    job_done_count = fields.Integer(compute="_compute_dashboard")
    failure_recent_count = fields.Integer("Failures (24 h)", compute="_compute_dashboard")
    failure_recent_summary = fields.Char("Failures (24 h) by type", compute="_compute_dashboard")
    oldest_pending_date = fields.Datetime(compute="_compute_dashboard")
    outage_since = fields.Datetime(
        "Unreachable since", compute="_compute_dashboard",
        help="The remote system has answered nothing but network errors, 5xx or 429 since then.",
    )
    last_success_html = fields.Html("Last successful runs", compute="_compute_dashboard", sanitize=False)
    binding_count = fields.Integer(compute="_compute_binding_count")

    _sql_constraints = [
        ("batch_size_positive", "CHECK(batch_size > 0)", "The batch size must be positive."),
        ("max_attempts_positive", "CHECK(max_attempts > 0)", "Allow at least one attempt."),
    ]

    @api.constrains("window_start", "window_end")
    def _check_window(self):
        for backend in self:
            for hour in (backend.window_start, backend.window_end):
                if not 0 <= hour <= 24:
                    raise ValidationError(
                        _("Backend %(name)s: window hours must be between 00:00 and 24:00.", name=backend.name)
                    )

    # ------------------------------------------------------------------
    # Dashboard
    # ------------------------------------------------------------------
    def _compute_dashboard(self):
        Job = self.env["sync.job"]
        counts = {
            (backend.id, state): count
            for backend, state, count in Job._read_group(
                [("backend_id", "in", self.ids)], ["backend_id", "state"], ["__count"]
            )
        }
        since = fields.Datetime.now() - timedelta(hours=24)
        # Failed attempts, not only jobs that gave up: during an outage jobs keep retrying
        # (pending) for hours, and staff must see it before the retries run out.
        failures = Job._read_group(
            [("backend_id", "in", self.ids), ("last_failure_at", ">=", since), ("failure_type", "!=", False)],
            ["backend_id", "failure_type"],
            ["__count"],
        )
        oldest = {
            backend.id: date
            for backend, date in Job._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "pending")], ["backend_id"], ["create_date:min"]
            )
        }
        last_success = Job._read_group(
            [("backend_id", "in", self.ids), ("state", "=", "done")], ["backend_id", "operation"], ["done_at:max"]
        )
        type_labels = dict(Job._fields["failure_type"]._description_selection(self.env))
        for backend in self:
            backend.job_pending_count = counts.get((backend.id, "pending"), 0)
            backend.job_running_count = counts.get((backend.id, "running"), 0)
            backend.job_failed_count = counts.get((backend.id, "failed"), 0)
            backend.job_done_count = counts.get((backend.id, "done"), 0)
            mine = [(ftype, count) for b, ftype, count in failures if b == backend]
            backend.failure_recent_count = sum(count for _ftype, count in mine)
            backend.failure_recent_summary = ", ".join(
                f"{type_labels.get(ftype, ftype)}: {count}" for ftype, count in mine
            )
            backend.oldest_pending_date = oldest.get(backend.id)
            backend.outage_since = backend._outage_since()
            rows = sorted((op, date) for b, op, date in last_success if b == backend)
            backend.last_success_html = self.env["ir.qweb"]._render(
                "sync_base.sync_backend_last_success", {"rows": rows, "format_dt": self._format_user_datetime}
            )

    def _outage_since(self):
        """First unanswered or 5xx/429 call after the last good one, if no good one came since."""
        self.env["sync.exchange"].flush_model()
        self.env.cr.execute(
            """
            SELECT min(create_date) FROM sync_exchange
             WHERE backend_id = %(backend)s
               AND (error IS NOT NULL OR status_code >= 500 OR status_code = 429)
               AND id > COALESCE((SELECT max(id) FROM sync_exchange
                                   WHERE backend_id = %(backend)s AND outcome = 'ok'), 0)
            """,
            {"backend": self.id},
        )
        return self.env.cr.fetchone()[0]

    def _format_user_datetime(self, value):
        return fields.Datetime.context_timestamp(self, value).strftime("%Y-%m-%d %H:%M") if value else ""

    def _compute_binding_count(self):
        counts = dict(
            self.env["sync.binding"]._read_group([("backend_id", "in", self.ids)], ["backend_id"], ["__count"])
        )
        for backend in self:
            backend.binding_count = counts.get(backend, 0)

    def _action_jobs(self, name, domain, context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_base.sync_job_action")
        action.update(
            name=name,
            domain=[("backend_id", "=", self.id), *domain],
            context={"default_backend_id": self.id, **(context or {})},
        )
        return action

    def action_view_pending_jobs(self):
        return self._action_jobs(_("Pending jobs"), [("state", "in", ("pending", "running"))])

    def action_view_failed_jobs(self):
        return self._action_jobs(_("Failures"), [("state", "=", "failed")], {"search_default_group_failure_type": 1})

    def action_view_jobs(self):
        return self._action_jobs(_("Jobs"), [])

    def action_view_bindings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_base.sync_binding_action")
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Queue API used by connectors
    # ------------------------------------------------------------------
    def _priority_for(self, category):
        self.ensure_one()
        return self[f"priority_{category or 'other'}"]

    def _enqueue(
        self,
        operation,
        *,
        record=None,
        external_id=None,
        payload=None,
        direction="export",
        category="other",
        priority=None,
        dedup_key=None,
        eta=None,
        heavy=False,
    ):
        """Queue one unit of work and return the job.

        Work on the same thing (same operation, record or external id) that is still
        pending is merged into the existing job: ten saves of a product before the
        next run make one export. Pass ``dedup_key=False`` to always create a job.
        """
        self.ensure_one()
        if dedup_key is None:
            target = f"{record._name},{record.id}" if record else external_id
            dedup_key = f"{operation}:{target}" if target else False
        values = {
            "backend_id": self.id,
            "operation": operation,
            "direction": direction,
            "category": category,
            # Queuing is the suite's own business: whoever saved the product or validated the
            # delivery, the backend's settings are read and the job written as superuser.
            "priority": self.sudo()._priority_for(category) if priority is None else priority,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "external_id": external_id or False,
            "payload": json.dumps(payload, default=str) if payload is not None else False,
            "dedup_key": dedup_key or False,
            "next_attempt_at": eta or False,
            "heavy": heavy,
        }
        job = self.env["sync.job"].sudo()._create_or_merge(values)
        if category in URGENT_CATEGORIES and not eta:
            job._wake_runner()
        return job

    def _enqueue_in_flow(self, operation, *, record, what, **options):
        """``_enqueue`` for a hook in one of Odoo's own flows (delivery validation...): never raises.

        Work that cannot be queued becomes a failed job of the same operation and record, so
        staff see it in the failure inbox and Retry runs exactly what was missed.
        """
        self.ensure_one()
        with sync_work_in_flow(self.env, what):
            return self._enqueue(operation, record=record, **options)
        # Only reached when queuing failed (sync_work_in_flow logged it and went on).
        with sync_work_in_flow(self.env, _("the failure record of %s", what)):
            return self.env["sync.job"].sudo().create({
                "backend_id": self.id, "operation": operation, "res_model": record._name, "res_id": record.id,
                "category": options.get("category", "other"), "direction": options.get("direction", "export"),
                "state": "failed", "failed_at": fields.Datetime.now(), "failure_type": "bug",
                "failure_reason": _(
                    "%(what)s could not be queued when it happened (see the server log). Retry queues it now.",
                    what=what,
                ),
            })
        return self.env["sync.job"]

    def _more_urgent_work_waiting(self, priority):
        """Whether, on any of these backends, a job more urgent than ``priority`` may run now, or
        deliveries wait to be taken in.

        Read in a cursor of its own: the caller's transaction may be older than that work (and
        a backend it has not committed yet is not there). Deliveries count at the priority of
        the work they become (``_received_deliveries_priority``). Only a hint: when the look
        fails, the batch simply goes on.
        """
        try:
            with self.env.registry.cursor() as cr:
                return any(
                    backend._has_work_before(priority) for backend in self.with_env(self.env(cr=cr)).exists()
                )
        except Exception:  # the batch under way must not fail for a look ahead
            _logger.warning("Could not look for urgent sync work; the batch goes on", exc_info=True)
            return False

    def _has_work_before(self, priority):
        runnable = self.env["sync.job"]._runnable_where(self, self._blocked_operations())
        if runnable is None:
            return False
        self.env.cr.execute(SQL("SELECT EXISTS(SELECT 1 FROM sync_job WHERE %s AND priority < %s)", runnable, priority))
        if self.env.cr.fetchone()[0]:
            return True
        waiting = self._received_deliveries_priority()
        return waiting is not None and waiting < priority

    def _queue_received_deliveries(self):
        """Turn the deliveries that webhook requests only stored into jobs; return how many.

        Called before every claim, so a delivery waits no longer than a job queued by
        its request would. A connector's endpoint stores its deliveries in the shared inbox
        (``sync.webhook.delivery``) and says what each becomes (``_webhook_delivery_jobs``);
        one with an inbox of its own adds it here.
        """
        return self.env["sync.webhook.delivery"].sudo()._take_in(self)

    def _webhook_delivery_jobs(self, payload):
        """Queue the work of one stored delivery's decoded body; return the jobs. Connectors."""
        raise NotImplementedError(f"{self.code} stores webhook deliveries but does not say what they become")

    def _purge_stored_payloads(self, markers):
        """Blank the stored bodies of remote messages holding one of ``markers``, all of them when
        None; returns how many. Connectors with a store of their own add it."""
        return self.env["sync.webhook.delivery"].sudo()._purge_payloads(self, markers)

    def _received_deliveries_count(self):
        """How many stored deliveries wait for ``_queue_received_deliveries``: work for the next run."""
        return self.env["sync.webhook.delivery"].sudo()._received_count(self)

    def _received_deliveries_priority(self):
        """The priority of the most urgent work the stored deliveries become, or None when none waits.

        By default deliveries are orders; a connector whose deliveries are of several kinds says which.
        """
        return self.priority_order if self._received_deliveries_count() else None

    # ------------------------------------------------------------------
    # Sync windows
    # ------------------------------------------------------------------
    def _company_now(self, now=None):
        """Local time of the backend's company: windows are written in office hours."""
        self.ensure_one()
        tz = pytz.timezone(self.company_id.partner_id.tz or self.env.user.tz or "UTC")
        now = now or fields.Datetime.now()
        return pytz.utc.localize(now).astimezone(tz)

    @staticmethod
    def _hour_in_window(hour, start, end):
        if start <= end:
            return start <= hour < end
        return hour >= start or hour < end  # window across midnight, e.g. 22:00-04:00

    def _is_in_night_window(self, now=None):
        local = self._company_now(now)
        hour = local.hour + local.minute / 60
        return self._hour_in_window(hour, self.window_start, self.window_end)

    def _blocked_operations(self, now=None):
        """What may not run now: ``(operations, heavy_blocked)``; operations may hold ``'*'``."""
        self.ensure_one()
        local = self._company_now(now)
        hour = local.hour + local.minute / 60
        blocked = set()
        for blackout in self.blackout_ids:
            if self._hour_in_window(hour, blackout.start_hour, blackout.end_hour):
                blocked |= blackout._operation_set()
        heavy_blocked = self.restrict_heavy_to_window and not self._is_in_night_window(now)
        return blocked, heavy_blocked

    # ------------------------------------------------------------------
    # HTTP with the exchange log
    # ------------------------------------------------------------------
    _http_sessions = {}

    def _http_session(self):
        # One keep-alive session per backend and worker: TLS handshakes are the
        # dominant cost of small API calls.
        key = (self.env.cr.dbname, self.id)
        session = self._http_sessions.get(key)
        if session is None:
            session = self._http_sessions[key] = requests.Session()
        return session

    def _secret_values(self):
        """Strings that must never reach the exchange log. Connectors add theirs."""
        self.ensure_one()
        backend = self.sudo()
        return [value for value in (backend.api_token, backend.webhook_secret) if value and len(value) >= 4]

    def _redact(self, text):
        if not text:
            return text
        for secret in self._secret_values():
            text = text.replace(secret, REDACTED)
        return text

    def _redact_headers(self, headers):
        return {
            key: REDACTED if key.lower() in SENSITIVE_HEADERS else self._redact(str(value))
            for key, value in (headers or {}).items()
        }

    def _http(self, method, url, *, json_body=None, data=None, headers=None, write=None, operation=None,
              secret_bodies=False):
        """Send one HTTP request, log it in the exchange log, return the response.

        ``secret_bodies``: the request and its answer carry secrets the redaction cannot know (a token
        endpoint's refresh token, the token it answers): both bodies are kept out of the exchange log.
        In dry-run mode writes are recorded and not sent (returns ``None``); reads go
        out, since computing what would be sent often needs them.
        Raises the ``SyncError`` that matches the failure, so the queue can decide
        whether to retry.
        """
        self.ensure_one()
        if write is None:
            write = method.upper() not in ("GET", "HEAD")
        body = json.dumps(json_body) if json_body is not None else data
        headers = dict(headers or {})
        if json_body is not None:
            headers.setdefault("Content-Type", "application/json")
        log = {
            "backend_id": self.id,
            "operation": operation,
            "method": method.upper(),
            "url": self._redact(url),
            "request_headers": json.dumps(self._redact_headers(headers), indent=1),
            "request_body": REDACTED if secret_bodies else self._redact(
                body if isinstance(body, str) else (body or b"").decode("utf-8", "replace")),
        }
        if write and self.mode == "dry_run":
            log.update(dry_run=True, duration_ms=0)
            self._log_exchange(log)
            return None
        started = time.monotonic()
        try:
            response = self._http_session().request(
                method, url, data=body, headers=headers, timeout=self.request_timeout or 30
            )
        except requests.RequestException as error:
            log.update(duration_ms=int((time.monotonic() - started) * 1000), error=str(error))
            exchange = self._log_exchange(log)
            raise SyncNetworkError(
                _("Could not reach %(url)s: %(error)s. The job will be retried.", url=log["url"], error=error),
                exchange=exchange,
            ) from error
        log.update(
            duration_ms=int((time.monotonic() - started) * 1000),
            status_code=response.status_code,
            response_headers=json.dumps(self._redact_headers(dict(response.headers)), indent=1),
            response_body=REDACTED if secret_bodies and response.ok else self._redact(response.text),
        )
        exchange = self._log_exchange(log)
        self._raise_for_status(response, exchange)
        return response

    def _raise_for_status(self, response, exchange):
        status = response.status_code
        if status < 400:
            return
        detail = (response.text or "")[:500]
        if status in (401, 403):
            raise SyncAuthError(
                _(
                    "%(backend)s refused the credentials (HTTP %(status)s). Check the access token on the "
                    "backend, then retry.",
                    backend=self.name,
                    status=status,
                ),
                exchange=exchange,
                status_code=status,
            )
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            raise SyncRateLimitError(
                _("%(backend)s is rate limiting us (HTTP 429); the job will be retried.", backend=self.name),
                retry_after=float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None,
                exchange=exchange,
                status_code=status,
            )
        if status >= 500:
            raise SyncRemoteError(
                _("%(backend)s failed on its side (HTTP %(status)s); the job will be retried.",
                  backend=self.name, status=status),
                exchange=exchange,
                status_code=status,
            )
        raise SyncValidationError(
            _("%(backend)s rejected the request (HTTP %(status)s): %(detail)s",
              backend=self.name, status=status, detail=self._redact(detail)),
            exchange=exchange,
            status_code=status,
        )

    def _log_exchange(self, values):
        """Record an exchange, or keep it aside while a job runs.

        A job runs inside a savepoint that is rolled back when it fails; the exchange
        that explains the failure must survive that rollback, so the job collects its
        exchanges and writes them after the savepoint (see ``sync.job._run``).
        """
        buffer = RUNNING_JOB_EXCHANGES.get()
        if buffer is not None:
            buffer.append(values)
            return values
        return self.env["sync.exchange"].sudo().create(values)

    def _reject_incoming(self, operation, raw_body, reason, category="other"):
        """Keep an authenticated delivery we could not read as a failed job.

        Nothing is lost: staff read the raw body and the reason in the failure
        inbox, correct the payload if they can, and Retry (``operation`` then runs
        on the corrected payload).
        """
        self.ensure_one()
        text = raw_body.decode("utf-8", "replace") if isinstance(raw_body, bytes) else raw_body
        text = text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL characters
        now = fields.Datetime.now()
        job = self.env["sync.job"].sudo().create({
            "backend_id": self.id,
            "operation": operation,
            "direction": "import",
            "category": category,
            "payload": text,
            "state": "failed",
            "failure_type": "validation",
            "failure_reason": reason,
            "failed_at": now,
            "last_failure_at": now,
        })
        job._notify_failures()
        return job

    # ------------------------------------------------------------------
    # Generic operations every backend can run
    # ------------------------------------------------------------------
    def _sync_run_noop(self, job):
        """Does nothing: measures the queue itself and checks that workers are alive."""
        return "ok"

    def _sync_run_http_ping(self, job):
        """GET the backend's API URL: a health check that goes through the exchange log."""
        response = self._http("GET", self.api_url, write=False, operation=job.operation)
        return _("Reached %(url)s (HTTP %(status)s)", url=self.api_url, status=response.status_code)

    def _sync_run_http_post(self, job):
        """POST the job's payload to the backend's API URL: a write, so dry run holds it back."""
        response = self._http("POST", self.api_url, json_body=job._payload(), operation=job.operation)
        if response is None:
            return _("Dry run: the request was recorded, nothing was sent.")
        return _("Sent (HTTP %(status)s)", status=response.status_code)

    def _job_handler(self, operation):
        self.ensure_one()
        for name in (f"_{self.code}_run_{operation}", f"_sync_run_{operation}"):
            handler = getattr(self, name, None)
            if handler:
                return handler
        return None

    def _job_batch_handler(self, operation):
        """``_<code>_run_batch_<operation>(jobs) -> {job id: result or exception}``, if any.

        For APIs that take many records per call (HubSpot batch upsert, 100 at a
        time): the jobs claimed together run in one call, and each still succeeds or
        fails on its own.
        """
        self.ensure_one()
        return getattr(self, f"_{self.code}_run_batch_{operation}", None) or getattr(
            self, f"_sync_run_batch_{operation}", None
        )

    # ------------------------------------------------------------------
    # Scopes: what the platform lets the connection do
    # ------------------------------------------------------------------
    def _feature_scopes(self):
        """{feature: (label, scopes its work needs)}, in the platform's scope names. Connectors."""
        return {}

    def _has_scope(self, granted, scope):
        """Whether the ``granted`` set covers ``scope``; connectors whose scopes imply others say so."""
        return scope in granted

    def _scopes_fix_hint(self):
        """What an admin does to grant a missing scope, ending with a new Test connection. Connectors."""
        return _("Grant them to the app on the platform, then Test connection again.")

    def _store_granted_scopes(self, scopes):
        self.granted_scopes = ",".join(sorted(scopes))

    def _missing_scopes(self, granted=None):
        """{feature: (label, [missing scopes])} for ``granted`` (default: what the last Test connection read;
        nothing is missing while no Test connection read the scopes)."""
        if granted is None:
            if not self.granted_scopes:
                return {}
            granted = self.granted_scopes.split(",")
        granted = {scope.strip() for scope in granted}
        missing = {}
        for feature, (label, scopes) in self._feature_scopes().items():
            lacking = [scope for scope in scopes if not self._has_scope(granted, scope)]
            if lacking:
                missing[feature] = (label, lacking)
        return missing

    def _require_scopes(self, feature):
        """Refuse to start ``feature``'s work when the last Test connection found one of its scopes missing:
        the platform would refuse it halfway, or worse, answer as if there were nothing to do."""
        label, lacking = self._missing_scopes().get(feature, (None, None))
        if lacking:
            raise SyncAuthError(_(
                "%(feature)s needs the scope %(scopes)s, which the app of backend %(name)s was not granted. %(fix)s "
                "Then Retry the job.",
                feature=label, scopes=", ".join(lacking), name=self.name, fix=self._scopes_fix_hint()))

    # ------------------------------------------------------------------
    # Retry policy
    # ------------------------------------------------------------------
    def _retry_delay(self, attempts, retry_after=None, rate_limited=False):
        """Seconds to wait before attempt ``attempts + 1``: exponential, capped, jittered.

        A rate limit is the remote asking for patience, not a fault: the job waits what it said
        (or 1, 2, 4... seconds when it did not say), not the backend's first delay. An order
        throttled for a second would otherwise wait half a minute.
        """
        self.ensure_one()
        base = 1 if rate_limited else self.retry_base_delay
        delay = min(base * 2 ** max(attempts - 1, 0), self.retry_max_delay)
        if self.retry_jitter:
            delay *= random.uniform(1 - self.retry_jitter, 1 + self.retry_jitter)
        return max(delay, retry_after or 0)

    def action_test_connection(self):
        """Connectors override to report what the remote side says about itself."""
        self.ensure_one()
        job = self.env["sync.job"].new({"backend_id": self.id, "operation": "http_ping"})
        try:
            message = self._sync_run_http_ping(job)
        except Exception as error:  # noqa: BLE001 - shown to the person who clicked
            self.state = "disconnected"
            return self._notify(_("Connection failed"), str(error), "danger")
        self.state = "connected"
        return self._notify(_("Connection works"), message, "success")

    def _connection_notification(self, message):
        """Test connection's answer once the remote answered: it works, or which scopes each feature lacks."""
        missing = self._missing_scopes()
        if not missing:
            return self._notify(_("Connection works"), message, "success")
        lacking = "; ".join(self.env._("%(feature)s needs %(scopes)s", feature=label, scopes=", ".join(scopes))
                            for label, scopes in missing.values())
        return self._notify(_("Connected, with scopes missing"), _(
            "%(message)s Missing scopes: %(lacking)s. That work will not start until they are granted. %(fix)s",
            message=message, lacking=lacking, fix=self._scopes_fix_hint()), "warning")

    def _notify(self, title, message, kind="info"):
        """The answer of a backend's button: a notification, then the screen reloaded, since the
        button changed what it shows (connection state, fetched locations, granted scopes)."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger",
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }


class SyncBlackout(models.Model):
    _name = "sync.blackout"
    _description = "Sync Blackout Window"
    _order = "start_hour"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    name = fields.Char(required=True)
    start_hour = fields.Float("From", required=True)
    end_hour = fields.Float("Until", required=True)
    operations = fields.Char(
        help="Comma-separated operation codes blocked during this window; empty blocks everything."
    )

    def _operation_set(self):
        self.ensure_one()
        codes = {code.strip() for code in (self.operations or "").split(",") if code.strip()}
        return codes or {"*"}
