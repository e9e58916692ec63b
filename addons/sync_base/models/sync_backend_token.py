import logging
import secrets
import threading
from datetime import timedelta
from urllib.parse import urlencode

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import SyncAuthError, SyncError

_logger = logging.getLogger(__name__)

# Renewed this long before it expires: a job that starts with a token never sees it expire mid-call.
RENEW_MARGIN = timedelta(minutes=10)
# How long a "Connect to ..." link stays good: the admin approves within minutes.
OAUTH_STATE_LIFETIME = timedelta(minutes=15)
# A token given without an expiry (a non-expiring OAuth token) is renewed only when refused.
NO_EXPIRY = timedelta(days=3650)


class SyncBackendToken(models.Model):
    """The access token a backend got from its platform's token endpoint, and what renews it.

    A table of its own, written by a renewal in its own committed transaction: the token must
    outlive the job that asked for it (a failed job rolls back), every worker must see it, and
    the job's own transaction may hold the backend's row (a reconcile writes its date), which a
    renewal writing on the backend would wait for forever.
    """

    _name = "sync.backend.token"
    _description = "Sync Backend Access Token"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    access_token = fields.Char(required=True)
    expires_at = fields.Datetime(required=True)
    refresh_token = fields.Char(help="Of an app installed by OAuth: renews the token (some platforms replace it).")
    scopes = fields.Char(help="The scopes granted with the token, comma separated.")

    _sql_constraints = [("backend_uniq", "unique(backend_id)", "A backend has one current token.")]


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    token_expires_at = fields.Datetime("Token valid until", compute="_compute_token_expires_at")
    oauth_state = fields.Char(groups="sync_base.group_sync_manager", copy=False)
    oauth_state_at = fields.Datetime(groups="sync_base.group_sync_manager", copy=False)

    _tokens = {}  # (database, backend id) -> (token, expiry): what this worker last used
    _tokens_lock = threading.Lock()

    def _compute_token_expires_at(self):
        tokens = {token.backend_id.id: token for token in self.env["sync.backend.token"].sudo().search(
            [("backend_id", "in", self.ids)])}
        for backend in self:
            backend.token_expires_at = tokens[backend.id].expires_at if backend.id in tokens else False

    # ------------------------------------------------------------------
    # Renewable tokens: connectors give _request_token
    # ------------------------------------------------------------------
    def _request_token(self, stored):
        """The platform's answer for a new token (``access_token``, ``expires_in``, ``refresh_token``,
        ``scope``), from ``stored`` (the current sync.backend.token, may be empty). Connectors."""
        raise NotImplementedError(f"{self.code} backends have no renewable token")

    def _renewable_access_token(self, renew_from=None):
        """The token to call the API with; renewed first when it is about to expire, or when the
        platform refused ``renew_from`` (a 401 on a token thought valid).

        Every call asks for it: the worker's own copy answers, the database only when that copy is
        missing, refused or about to expire (another worker may have renewed it meanwhile)."""
        self.ensure_one()
        token = self._usable_token(self._cached_token(), renew_from)
        if token:
            return token
        stored = self.env["sync.backend.token"].sudo().search([("backend_id", "=", self.id)], limit=1)
        token = self._usable_token((stored.access_token, stored.expires_at), renew_from) if stored else None
        if token:
            self._cache_token(token, stored.expires_at)
            return token
        return self._renew_token(stale=renew_from or stored.access_token)

    @staticmethod
    def _usable_token(token_expiry, refused):
        token, expiry = token_expiry or (None, None)
        if token and token != refused and expiry - fields.Datetime.now() > RENEW_MARGIN:
            return token
        return None

    def _token_key(self):
        return (self.env.cr.dbname, self.id)

    def _cached_token(self):
        with self._tokens_lock:
            return self._tokens.get(self._token_key())

    def _cache_token(self, token, expiry):
        with self._tokens_lock:
            self._tokens[self._token_key()] = (token, expiry)

    def _renew_token(self, stale):
        """A fresh token, asked of the platform once however many workers need one at the same moment."""
        lock = "sync_token:%s" % self.id
        with self.env.registry.cursor() as cr:
            # A session lock taken, then committed, so that what is read after it is read in a new
            # snapshot: the token another worker stored while this one waited (REPEATABLE READ).
            cr.execute("SELECT pg_advisory_lock(hashtext(%s))", [lock])
            cr.commit()
            try:
                token = self._token_in(cr, stale)
            finally:
                cr.rollback()
                cr.execute("SELECT pg_advisory_unlock(hashtext(%s))", [lock])
                cr.commit()
        self._cache_token(*token)
        return token[0]

    def _token_in(self, cr, stale):
        """(token, expiry): the one stored since ``stale`` was read, or a new one, stored in ``cr``."""
        Token = api.Environment(cr, SUPERUSER_ID, {})["sync.backend.token"]
        stored = Token.search([("backend_id", "=", self.id)], limit=1)
        if stored and stored.access_token != stale and stored.expires_at - fields.Datetime.now() > RENEW_MARGIN:
            return stored.access_token, stored.expires_at
        values = self._store_token(self._request_token(stored), Token)
        cr.commit()
        _logger.info("Backend %s: access token renewed, valid until %s", self.name, values["expires_at"])
        return values["access_token"], values["expires_at"]

    def _post_token_form(self, url, form, operation, refused):
        """POST ``form`` to an OAuth token endpoint (form-encoded, as RFC 6749 has it); its JSON answer.

        Both bodies stay out of the exchange log (they carry secrets the redaction cannot know yet).
        A 4xx is one auth failure whose message is ``refused(status)``: what the person must do.
        """
        try:
            response = self._http("POST", url, data=urlencode(form), write=False, operation=operation,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, secret_bodies=True)
            answer = response.json()
        except SyncError as error:
            if error.status_code and 400 <= error.status_code < 500:
                raise SyncAuthError(refused(error.status_code), exchange=error.exchange,
                                    status_code=error.status_code) from error
            raise
        except ValueError as error:
            raise SyncAuthError(_("The token answer of backend %(name)s is not JSON.", name=self.name)) from error
        if not isinstance(answer, dict):
            raise SyncAuthError(_("The token answer of backend %(name)s is not an object.", name=self.name))
        return answer

    def _store_token(self, answer, Token=None):
        """Keep a token endpoint's ``answer`` as the backend's token (a new refresh token replaces the
        last one); returns the values stored. ``Token``: the model in the cursor to write with."""
        Token = Token if Token is not None else self.env["sync.backend.token"].sudo()
        expires_in = answer.get("expires_in")
        values = {
            "access_token": answer["access_token"],
            "expires_at": fields.Datetime.now() + (timedelta(seconds=int(expires_in)) if expires_in else NO_EXPIRY),
            "scopes": answer.get("scope") or (" ".join(answer["scopes"]) if answer.get("scopes") else False),
        }
        if answer.get("refresh_token"):
            values["refresh_token"] = answer["refresh_token"]
        stored = Token.search([("backend_id", "=", self.id)], limit=1)
        if stored:
            stored.write(values)
        else:
            Token.create(dict(values, backend_id=self.id))
        self._cache_token(values["access_token"], values["expires_at"])
        return values

    # ------------------------------------------------------------------
    # OAuth installs: the state that ties a consent redirect to its backend
    # ------------------------------------------------------------------
    def _oauth_new_state(self):
        """A single-use nonce for one "Connect to ..." round trip."""
        self.ensure_one()
        state = secrets.token_urlsafe(32)
        self.sudo().write({"oauth_state": state, "oauth_state_at": fields.Datetime.now()})
        return state

    @api.model
    def _oauth_claim_state(self, state, code):
        """The ``code`` backend that asked for ``state``; the state is spent at once, whatever follows,
        so that a replayed redirect finds nothing. Raises UserError saying what to do."""
        backend = self.sudo().search([("oauth_state", "=", state), ("code", "=", code)], limit=1) if state else None
        if not backend:
            raise UserError(_("This authorization was already used or was never asked for: press Connect on the "
                              "backend again."))
        started = backend.oauth_state_at
        backend.write({"oauth_state": False, "oauth_state_at": False})
        if not started or fields.Datetime.now() - started > OAUTH_STATE_LIFETIME:
            raise UserError(_("This authorization has expired: press Connect on the backend again."))
        return backend

    def _secret_values(self):
        secrets_ = super()._secret_values()
        cached = self._cached_token()
        return secrets_ + ([cached[0]] if cached and cached[0] and len(cached[0]) >= 4 else [])
