"""HubSpotSandbox: the CRM v3/v4 endpoints a connector uses, over real HTTP."""

import collections
import json
import random
import threading

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from .core import SandboxServer, hmac_b64, json_response, new_uuid
from .hubspot_auth import (
    AUTHORIZE_PATH,
    DEFAULT_SCOPES,
    INTROSPECT_PATH,
    PRIVATE_APP_TOKEN_INFO_PATH,
    TOKEN_PATH,
    HubSpotOAuth,
    private_app_token_info,
    required_scope,
)
from .hubspot_store import (
    ASSOCIATION_TYPES,
    DEFAULT_PROPERTIES,
    OBJECT_TYPES,
    PIPELINE,
    TYPE_ALIASES,
    HubSpotStore,
    parse_iso,
)

BATCH_LIMIT = 100
SEARCH_PAGE_MAX = 200
SEARCH_RESULT_CAP = 10000
SEARCH_MAX_GROUPS = 5
SEARCH_MAX_FILTERS = 6
DAILY_LIMIT = 250000

_URLS = Map(
    [
        Rule("/crm/v3/objects/<otype>", methods=["GET"], endpoint="list"),
        Rule("/crm/v3/objects/<otype>", methods=["POST"], endpoint="create"),
        Rule("/crm/v3/objects/<otype>/search", methods=["POST"], endpoint="search"),
        Rule("/crm/v3/objects/<otype>/merge", methods=["POST"], endpoint="merge"),
        Rule("/crm/v3/objects/<otype>/batch/<action>", methods=["POST"], endpoint="batch"),
        Rule("/crm/v3/objects/<otype>/<oid>", methods=["GET"], endpoint="get"),
        Rule("/crm/v3/objects/<otype>/<oid>", methods=["PATCH"], endpoint="update"),
        Rule("/crm/v3/objects/<otype>/<oid>", methods=["DELETE"], endpoint="archive"),
        Rule("/crm/v3/properties/<otype>", methods=["GET"], endpoint="properties"),
        Rule("/crm/v3/properties/<otype>", methods=["POST"], endpoint="property_create"),
        Rule("/crm/v3/properties/<otype>/<name>", methods=["GET"], endpoint="property_get"),
        Rule("/crm/v3/pipelines/<otype>", methods=["GET"], endpoint="pipelines"),
        Rule("/crm/v3/pipelines/<otype>/<pipeline_id>", methods=["GET"], endpoint="pipeline_get"),
        Rule("/crm/v4/objects/<otype>/<oid>/associations/<to_type>", methods=["GET"], endpoint="assoc_list"),
        Rule(
            "/crm/v4/objects/<otype>/<oid>/associations/default/<to_type>/<to_id>",
            methods=["PUT"],
            endpoint="assoc_default",
        ),
        Rule(
            "/crm/v4/objects/<otype>/<oid>/associations/<to_type>/<to_id>", methods=["PUT"], endpoint="assoc_labelled"
        ),
        Rule(
            "/crm/v4/objects/<otype>/<oid>/associations/<to_type>/<to_id>", methods=["DELETE"], endpoint="assoc_delete"
        ),
        Rule("/crm/v4/associations/<otype>/<to_type>/batch/create", methods=["POST"], endpoint="assoc_batch_create"),
        Rule(
            "/crm/v4/associations/<otype>/<to_type>/batch/associate/default",
            methods=["POST"],
            endpoint="assoc_batch_default",
        ),
        Rule("/crm/v4/associations/<otype>/<to_type>/batch/read", methods=["POST"], endpoint="assoc_batch_read"),
        Rule("/crm/v4/associations/<otype>/<to_type>/labels", methods=["GET"], endpoint="assoc_labels"),
    ],
    strict_slashes=False,
)


class ApiError(Exception):
    """An answer in HubSpot's error shape."""

    def __init__(self, status, message, category, **extra):
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra


class RollingWindow:
    """Requests allowed per rolling window (HubSpot's TEN_SECONDLY_ROLLING)."""

    def __init__(self, limit, seconds, clock):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._hits = collections.deque()
        self._lock = threading.Lock()

    def hit(self):
        """Count one request if allowed. Returns (allowed, remaining)."""
        with self._lock:
            now = self.clock()
            while self._hits and self._hits[0] <= now - self.seconds:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return False, 0
            self._hits.append(now)
            return True, self.limit - len(self._hits)


class HubSpotSandbox(SandboxServer):
    name = "hubspot-sandbox"
    # developers.hubspot.com, "Configure webhooks": maxConcurrentRequests, 10 in HubSpot's examples: HubSpot
    # sends up to that many deliveries to the app's address at once.
    webhook_concurrency = 10

    def __init__(
        self,
        seed=0,
        *,
        rate_limit=100,
        window_seconds=10,
        search_rate=5,
        clock=None,
        token="pat-na1-sandbox-0000-0000",
        client_secret="sandbox-hubspot-client-secret",
        client_id="sandbox-hubspot-client-id",
        portal_id=62515,
        app_id=1000001,
        contacts=20,
        companies=8,
        deals=10,
        webhooks_for_api_changes=True,
        webhook_retry_delays=(0.2, 0.5, 1.0, 2.0),
    ):
        super().__init__(seed=seed, clock=clock)
        self.token, self.client_secret = token, client_secret
        self.portal_id, self.app_id = portal_id, app_id
        self.rate_limit, self.window_seconds, self.search_rate = rate_limit, window_seconds, search_rate
        self.seed_counts = (contacts, companies, deals)
        self.webhooks_for_api_changes = webhooks_for_api_changes
        self.webhook_target_url = None
        self.webhooks.retry_delays = tuple(webhook_retry_delays)
        self.store = HubSpotStore(self.clock)
        self.oauth = HubSpotOAuth(self.clock, client_id, client_secret, portal_id=portal_id, app_id=app_id)
        self.reset()

    # -- public helpers ----------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.rng = random.Random(self.seed)
            self._event_ids = iter(range(100000, 10**9))
            self.store.clear()
            self._seed()
            self.limiter = RollingWindow(self.rate_limit, self.window_seconds, self.clock)
            self.search_limiter = RollingWindow(self.search_rate, 1.0, self.clock)
            self.requests.clear()
            self.webhooks.clear()
            self.oauth.clear()
            # What the account's private app was granted (its Scopes tab); "oauth" is a public app's scope.
            self.private_app_scopes = [scope for scope in DEFAULT_SCOPES if scope != "oauth"]
            self.faults.clear()

    def _seed(self):
        contacts, companies, deals = self.seed_counts
        first = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gala", "Hans", "Iris", "Jon"]
        last = ["Lovelace", "Turing", "Hopper", "Knuth", "Liskov", "Ritchie", "Wirth", "Kay"]
        company_ids = []
        for index in range(companies):
            name = "Company %d" % (index + 1)
            company_ids.append(
                self.store.create(
                    "companies", {"name": name, "domain": "company%d.example" % (index + 1), "city": "Paris"}
                )["id"]
            )
        for index in range(contacts):
            given, family = self.rng.choice(first), self.rng.choice(last)
            record = self.store.create(
                "contacts",
                {
                    "firstname": given,
                    "lastname": family,
                    "email": "%s.%s%d@example.org" % (given.lower(), family.lower(), index),
                },
            )
            if company_ids:
                self.store.associate("contacts", record["id"], "companies", self.rng.choice(company_ids), 279)
        stages = [s["id"] for s in PIPELINE["stages"]]
        for index in range(deals):
            self.store.create(
                "deals",
                {
                    "dealname": "Deal %d" % (index + 1),
                    "amount": str(self.rng.randint(5, 80) * 100),
                    "dealstage": self.rng.choice(stages),
                    "pipeline": "default",
                },
            )

    def update_object(self, object_type, object_id, properties):
        """A CRM user edit (changeSource CRM_UI): fires propertyChange webhooks."""
        object_type = TYPE_ALIASES.get(object_type, object_type)
        with self.lock:
            record = self._existing(object_type, object_id)
            changed = self.store.update(record, object_type, properties)
            self._events(object_type, record, "propertyChange", changed=changed, source="CRM_UI")
            return record

    def _existing(self, object_type, object_id):
        record = self.store.get(object_type, str(object_id))
        if record is None:
            raise KeyError("no %s with id %s in the HubSpot sandbox" % (object_type, object_id))
        return record

    def create_object(self, object_type, properties):
        """A CRM user creates a record: fires creation webhooks."""
        object_type = TYPE_ALIASES.get(object_type, object_type)
        with self.lock:
            record = self.store.create(object_type, properties)
            self._events(object_type, record, "creation", source="CRM_UI")
            return record

    def archive_object(self, object_type, object_id):
        object_type = TYPE_ALIASES.get(object_type, object_type)
        with self.lock:
            record = self._existing(object_type, object_id)
            self.store.archive(record)
            self._events(object_type, record, "deletion", source="CRM_UI")

    def privacy_delete_contact(self, contact_id):
        """A user permanently deletes a contact to comply with a privacy request: HubSpot sends
        contact.privacyDeletion and the ordinary contact.deletion (developers.hubspot.com changelog,
        "Webhooks now support privacy-compliant contact deletions"). The event's fields beyond the common
        ones are not documented there: the sandbox sends the common ones only."""
        with self.lock:
            record = self._existing("contacts", contact_id)
            self.store.objects["contacts"].pop(record["id"])
            self._events("contacts", record, "privacyDeletion", source="CRM_UI")
            self._events("contacts", record, "deletion", source="CRM_UI")

    def merge_objects(self, object_type, primary_id, secondary_id):
        object_type = TYPE_ALIASES.get(object_type, object_type)
        with self.lock:
            return self._merge(object_type, str(primary_id), str(secondary_id), source="CRM_UI")

    # -- webhooks ------------------------------------------------------------------------
    def _events(self, object_type, record, kind, *, changed=None, source="INTEGRATION", merged=None):
        if not self.webhook_target_url or (source == "INTEGRATION" and not self.webhooks_for_api_changes):
            return
        singular = OBJECT_TYPES[object_type][1]
        base = {
            "subscriptionId": 1000 + list(OBJECT_TYPES).index(object_type),
            "portalId": self.portal_id,
            "appId": self.app_id,
            "occurredAt": int(self.clock() * 1000),
            "attemptNumber": 0,
            "objectId": int(record["id"]),
            "changeSource": source,
            "subscriptionType": "%s.%s" % (singular, kind),
        }
        if kind == "propertyChange":
            events = [
                dict(base, propertyName=name, propertyValue=value or "")
                for name, value in (changed or {}).items()
                if not name.endswith("lastmodifieddate")
            ]
        elif kind == "merge":
            events = [
                dict(
                    base,
                    primaryObjectId=int(record["id"]),
                    mergedObjectIds=[int(i) for i in merged],
                    newObjectId=int(record["id"]),
                    numberOfPropertiesMoved=0,
                )
            ]
        elif kind == "privacyDeletion":
            events = [base]
        else:
            events = [dict(base, changeFlag="NEW" if kind == "creation" else "DELETED")]
        for event in events:
            event["eventId"] = next(self._event_ids)
        if events:
            self._send(events)

    def _send(self, events):
        body = json.dumps(events).encode()
        url = self.webhook_target_url
        timestamp = str(int(self.clock() * 1000))
        secret = self.client_secret if not self.faults.bad_hmac else self.client_secret + "-wrong"
        signature = hmac_b64(secret, b"POST" + url.encode() + body + timestamp.encode())
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Signature-Version": "v3",
            "X-HubSpot-Request-Timestamp": timestamp,
            "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (sandbox)",
        }
        self.webhooks.submit(url, body, headers, meta={"events": [e["subscriptionType"] for e in events]})

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, request, record):
        try:
            response = self._route(request, record)
        except ApiError as error:
            response = self._error_response(error)
        return response

    def _oauth(self, request):
        """The OAuth endpoints, which take no bearer token (see hubspot_auth); None for any other path."""
        if request.path == AUTHORIZE_PATH and request.method == "GET":
            with self.lock:
                location = self.oauth.authorize(request.args.to_dict())
            if location is None:
                return json_response({"status": "error", "message": "Invalid client_id or redirect_uri"}, status=400)
            return Response("", status=302, headers={"Location": location})
        if request.path in (TOKEN_PATH, INTROSPECT_PATH) and request.method == "POST":
            fields = request.form.to_dict()
            with self.lock:
                status, body = (self.oauth.token if request.path == TOKEN_PATH else self.oauth.introspect)(fields)
            return json_response(body, status=status)
        if request.path == PRIVATE_APP_TOKEN_INFO_PATH and request.method == "POST":
            with self.lock:
                status, body = private_app_token_info(
                    request.get_json(silent=True, force=True), token=self.token, scopes=self.private_app_scopes,
                    portal_id=self.portal_id, app_id=self.app_id)
            return json_response(body, status=status)
        return None

    def _granted_scopes(self, auth):
        """The scopes of the bearer token, or None when it is not valid."""
        token = auth.removeprefix("Bearer ")
        if token == self.token:
            return self.private_app_scopes
        return self.oauth.scopes if self.oauth.valid(token) else None

    def _check_scope(self, endpoint, method, params, granted):
        """A call outside the token's scopes: 403 MISSING_SCOPES naming the scope, as HubSpot answers it
        (category and errors[].context.requiredGranularScopes; developers.hubspot.com/docs/apps/
        developer-platform/build-apps/authentication/scopes: each endpoint's reference lists its scopes)."""
        scope = required_scope(endpoint, method, params)
        if scope is None or scope in granted:
            return
        raise ApiError(
            403,
            "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
            "here: https://developers.hubspot.com/scopes.",
            "MISSING_SCOPES",
            errors=[{"message": "One or more of the following scopes are required.",
                     "context": {"requiredGranularScopes": [scope]}}],
            links={"scopes": "https://developers.hubspot.com/scopes"},
        )

    def _route(self, request, record):
        oauth = self._oauth(request)
        if oauth is not None:
            return oauth
        with self.lock:
            granted = self._granted_scopes(request.headers.get("Authorization", ""))
        if granted is None:
            raise ApiError(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
                "oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        allowed, remaining = self.limiter.hit()
        headers = self._rate_headers(remaining)
        if not allowed:
            return self._rate_limited(
                "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", headers
            )
        try:
            endpoint, params = _URLS.bind("sandbox").match(request.path, method=request.method)
        except HTTPException as exc:
            raise ApiError(
                exc.code or 404,
                "Unable to route %s %s" % (request.method, request.path),
                "OBJECT_NOT_FOUND" if exc.code == 404 else "VALIDATION_ERROR",
            ) from None
        if endpoint == "search":
            allowed, _ = self.search_limiter.hit()
            if not allowed:
                return self._rate_limited("SECONDLY", "You have reached your secondly limit.", headers)
        record["endpoint"] = endpoint
        body = request.get_json(silent=True, force=True) if request.method in ("POST", "PATCH", "PUT") else None
        if request.method in ("POST", "PATCH", "PUT") and request.get_data() and body is None:
            raise ApiError(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        params = {k: (TYPE_ALIASES.get(v, v) if k in ("otype", "to_type") else v) for k, v in params.items()}
        for key in ("otype", "to_type"):
            if key in params and params[key] not in OBJECT_TYPES:
                raise ApiError(400, "Unable to infer object type from: %s" % params[key], "VALIDATION_ERROR")
        self._check_scope(endpoint, request.method, params, granted)
        with self.lock:
            status, payload = getattr(self, "_api_" + endpoint)(request, body, record, **params)
        if status == 204:
            return Response(status=204, headers=headers)
        return json_response(payload, status=status, headers=headers)

    def _rate_headers(self, remaining):
        return {
            "X-HubSpot-RateLimit-Max": str(self.rate_limit),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_seconds * 1000)),
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(DAILY_LIMIT - len(self.requests)),
        }

    def _rate_limited(self, policy, message, headers=None):
        payload = {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": new_uuid(self.rng),
            "policyName": policy,
            "category": "RATE_LIMITS",
        }
        return json_response(payload, status=429, headers=headers or self._rate_headers(0))

    def rate_limited_response(self):
        return self._rate_limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")

    def server_error_response(self, status):
        return self._error_response(ApiError(status, "internal error", "INTERNAL_ERROR"))

    def _error_response(self, error):
        payload = {
            "status": "error",
            "message": error.message,
            "correlationId": new_uuid(self.rng),
            "category": error.category,
        }
        payload.update(error.extra)
        return json_response(payload, status=error.status)

    def control(self, request, action):
        if action == "webhook-target" and request.method == "POST":
            self.webhook_target_url = (request.get_json(silent=True) or {}).get("url")
            return json_response({"url": self.webhook_target_url})
        if action == "state":
            with self.lock:
                return json_response({name: len(table) for name, table in self.store.objects.items()})
        return None

    # -- shaping ------------------------------------------------------------------------------
    def _shape(self, object_type, record, properties=None, associations=None):
        names = properties or DEFAULT_PROPERTIES[object_type]
        result = {
            "id": record["id"],
            "properties": {n: record["properties"].get(n) for n in names},
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": record["archived"],
        }
        if record["archived"]:
            result["archivedAt"] = record.get("archivedAt")
        if associations:
            result["associations"] = {}
            for wanted in associations:
                to_type = TYPE_ALIASES.get(wanted, wanted)
                if to_type in OBJECT_TYPES:
                    links = self.store.associated(object_type, record["id"], to_type)
                    result["associations"][to_type] = {
                        "results": [
                            {"id": to_id, "type": "%s_to_%s" % (OBJECT_TYPES[object_type][1], OBJECT_TYPES[to_type][1])}
                            for to_id in links
                        ]
                    }
        return result

    @staticmethod
    def _names(request, key="properties"):
        names = []
        for value in request.args.getlist(key):
            names += [n for n in value.split(",") if n]
        return names

    def _require(self, object_type, object_id, id_property=None):
        record = self.store.get(object_type, object_id, id_property)
        if record is None:
            raise ApiError(404, "resource not found", "OBJECT_NOT_FOUND")
        return record

    def _validate_properties(self, object_type, properties):
        if not isinstance(properties, dict):
            raise ApiError(400, "Invalid input JSON: properties must be an object", "VALIDATION_ERROR")
        errors = self.store.property_errors(object_type, properties)
        if errors:
            raise ApiError(
                400,
                "Property values were not valid: %s" % json.dumps(errors),
                "VALIDATION_ERROR",
                errors=[
                    {"message": e["message"], "code": e["error"], "context": {"propertyName": [e["name"]]}}
                    for e in errors
                ],
            )

    def _check_conflict(self, object_type, properties, own_id=None):
        taken = self.store.conflict(object_type, properties, own_id)
        if taken:
            name, existing = taken
            label = OBJECT_TYPES[object_type][1].capitalize()
            message = (
                "%s already exists. Existing ID: %s" % (label, existing)
                if name == "email"
                else 'A %s with the unique value "%s" for property "%s" already exists. Existing ID: %s'
                % (OBJECT_TYPES[object_type][1], properties[name], name, existing)
            )
            raise ApiError(409, message, "CONFLICT")

    # -- objects ---------------------------------------------------------------------------------
    def _api_list(self, request, body, record, *, otype):
        limit = min(int(request.args.get("limit", 10)), 100)
        archived = request.args.get("archived", "false") == "true"
        records = sorted(
            (r for r in self.store.objects[otype].values() if r["archived"] == archived), key=lambda r: int(r["id"])
        )
        after = request.args.get("after")
        if after:
            records = [r for r in records if int(r["id"]) > int(after)]
        page = records[:limit]
        payload = {
            "results": [self._shape(otype, r, self._names(request), self._names(request, "associations")) for r in page]
        }
        if len(records) > limit:
            next_after = str(int(page[-1]["id"]))
            payload["paging"] = {
                "next": {"after": next_after, "link": "%s/crm/v3/objects/%s?after=%s" % (self.url, otype, next_after)}
            }
        return 200, payload

    def _api_get(self, request, body, record, *, otype, oid):
        found = self.store.get(
            otype, oid, request.args.get("idProperty"), archived=request.args.get("archived") == "true"
        )
        if found is None:
            raise ApiError(404, "resource not found", "OBJECT_NOT_FOUND")
        return 200, self._shape(otype, found, self._names(request), self._names(request, "associations"))

    def _api_create(self, request, body, record, *, otype):
        properties = (body or {}).get("properties") or {}
        self._validate_properties(otype, properties)
        self._check_conflict(otype, properties)
        associations = self._association_inputs(otype, (body or {}).get("associations") or [])
        created = self.store.create(otype, properties)
        for to_type, to_id, type_id in associations:
            self.store.associate(otype, created["id"], to_type, to_id, type_id)
        record["write"] = True
        self._events(otype, created, "creation")
        return 201, self._shape(otype, created, list(properties) + DEFAULT_PROPERTIES[otype])

    def _association_inputs(self, otype, inputs):
        resolved = []
        for entry in inputs:
            to_id = str((entry.get("to") or {}).get("id"))
            for spec in entry.get("types") or []:
                to_type = self._type_for(otype, spec.get("associationTypeId"))
                if to_type is None or self.store.get(to_type, to_id) is None:
                    raise ApiError(400, "Invalid association: %s to %s" % (spec, to_id), "VALIDATION_ERROR")
                resolved.append((to_type, to_id, spec["associationTypeId"]))
        return resolved

    @staticmethod
    def _type_for(otype, type_id):
        for (from_type, to_type), types in ASSOCIATION_TYPES.items():
            if from_type == otype and type_id in dict(types):
                return to_type
        return None

    def _api_update(self, request, body, record, *, otype, oid):
        target = self._require(otype, oid, request.args.get("idProperty"))
        properties = (body or {}).get("properties") or {}
        self._validate_properties(otype, properties)
        self._check_conflict(otype, properties, target["id"])
        changed = self.store.update(target, otype, properties)
        record["write"] = True
        self._events(otype, target, "propertyChange", changed=changed)
        return 200, self._shape(otype, target, list(properties) + DEFAULT_PROPERTIES[otype])

    def _api_archive(self, request, body, record, *, otype, oid):
        target = self.store.get(otype, oid)
        if target is not None:
            self.store.archive(target)
            record["write"] = True
            self._events(otype, target, "deletion")
        return 204, None

    def _api_merge(self, request, body, record, *, otype):
        body = body or {}
        primary_id, secondary_id = str(body.get("primaryObjectId")), str(body.get("objectIdToMerge"))
        record["write"] = True
        return 200, self._shape(otype, self._merge(otype, primary_id, secondary_id), None)

    def _merge(self, otype, primary_id, secondary_id, source="INTEGRATION"):
        primary = self.store.get(otype, primary_id)
        secondary = self.store.get(otype, secondary_id)
        if primary is None or secondary is None:
            raise ApiError(404, "Object to merge not found", "OBJECT_NOT_FOUND")
        if primary["id"] == secondary["id"]:
            raise ApiError(400, "Cannot merge an object with itself", "VALIDATION_ERROR")
        merged = self.store.merge(otype, primary, secondary)
        self._events(otype, merged, "merge", source=source, merged=[secondary["id"]])
        return merged

    # -- batch ------------------------------------------------------------------------------------
    def _api_batch(self, request, body, record, *, otype, action):
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list):
            raise ApiError(400, "Invalid input JSON: inputs is required", "VALIDATION_ERROR")
        if len(inputs) > BATCH_LIMIT:
            raise ApiError(
                400,
                "Too many inputs: %d. Batch inputs are limited to %d." % (len(inputs), BATCH_LIMIT),
                "VALIDATION_ERROR",
                context={"limit": [str(BATCH_LIMIT)]},
            )
        handler = {
            "read": self._batch_read,
            "create": self._batch_create,
            "update": self._batch_update,
            "upsert": self._batch_upsert,
            "archive": self._batch_archive,
        }.get(action)
        if handler is None:
            raise ApiError(404, "Unknown batch action %s" % action, "OBJECT_NOT_FOUND")
        started = self.store.now()
        status, results, errors = handler(otype, body, inputs, record)
        if status == 204:
            return 204, None
        payload = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.store.now()}
        if errors:
            # One entry per refused input, or one per kind for a group of missing ids (as batch/read does).
            count = sum(len(e["context"].get("ids") or e["context"].get("index") or [None]) for e in errors)
            payload.update(errors=errors, numErrors=count)
            status = 207
        return status, payload

    def _not_found_error(self, otype, ids):
        return {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some %s objects, they may be deleted or not exist. Check that ids are valid."
            % OBJECT_TYPES[otype][1].upper(),
            "context": {"ids": ids},
        }

    @staticmethod
    def _input_error(error, entry, index, key=None):
        """A refused batch input in HubSpot's multi-status shape: named by its id, else by its index."""
        context = {"ids": [str(key)]} if key not in (None, "") else {"index": [str(index)]}
        if entry.get("objectWriteTraceId"):
            context["objectWriteTraceId"] = [str(entry["objectWriteTraceId"])]
        payload = {"status": "error", "category": error.category, "message": error.message, "context": context}
        payload.update(error.extra)
        return payload

    def _batch_read(self, otype, body, inputs, record):
        id_property = body.get("idProperty")
        names = body.get("properties") or None
        results, missing = [], []
        for entry in inputs:
            found = self.store.get(otype, str(entry.get("id")), id_property)
            if found is None:
                missing.append(str(entry.get("id")))
            else:
                results.append(self._shape(otype, found, [*names, id_property] if names and id_property else names))
        return 200, results, [self._not_found_error(otype, missing)] if missing else []

    @staticmethod
    def _check_inputs(inputs):
        if not all(isinstance(entry, dict) for entry in inputs):
            raise ApiError(400, "Invalid input JSON: every input must be an object", "VALIDATION_ERROR")
        if not all(isinstance(entry.get("properties") or {}, dict) for entry in inputs):
            raise ApiError(400, "Invalid input JSON: properties must be an object", "VALIDATION_ERROR")

    # Each input is checked and applied in turn: a valid input is written even when others are
    # refused, and a later input that clashes with an earlier one of the same batch is refused.
    def _batch_create(self, otype, body, inputs, record):
        self._check_inputs(inputs)
        results, errors = [], []
        for index, entry in enumerate(inputs):
            properties = entry.get("properties") or {}
            try:
                self._validate_properties(otype, properties)
                self._check_conflict(otype, properties)
                associations = self._association_inputs(otype, entry.get("associations") or [])
            except ApiError as error:
                errors.append(self._input_error(error, entry, index))
                continue
            created = self.store.create(otype, properties)
            for to_type, to_id, type_id in associations:
                self.store.associate(otype, created["id"], to_type, to_id, type_id)
            self._events(otype, created, "creation")
            shaped = self._shape(otype, created, list(properties) + DEFAULT_PROPERTIES[otype])
            if entry.get("objectWriteTraceId"):
                shaped["objectWriteTraceId"] = entry["objectWriteTraceId"]
            results.append(shaped)
        record["write"] = bool(results)
        return 201, results, errors

    def _batch_update(self, otype, body, inputs, record):
        self._check_inputs(inputs)
        ids = [str(e.get("id")) for e in inputs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ApiError(
                400, "Duplicate IDs found in batch input: %s. IDs must be unique" % duplicates, "VALIDATION_ERROR"
            )
        results, errors, missing = [], [], []
        for index, entry in enumerate(inputs):
            properties = entry.get("properties") or {}
            found = self.store.get(otype, str(entry.get("id")), entry.get("idProperty") or body.get("idProperty"))
            if found is None:
                missing.append(str(entry.get("id")))
                continue
            try:
                self._validate_properties(otype, properties)
                self._check_conflict(otype, properties, found["id"])
            except ApiError as error:
                errors.append(self._input_error(error, entry, index, entry.get("id")))
                continue
            changed = self.store.update(found, otype, properties)
            self._events(otype, found, "propertyChange", changed=changed)
            results.append(self._shape(otype, found, list(properties) + DEFAULT_PROPERTIES[otype]))
        if missing:
            errors.insert(0, self._not_found_error(otype, missing))
        record["write"] = bool(results)
        return 200, results, errors

    def _batch_upsert(self, otype, body, inputs, record):
        self._check_inputs(inputs)
        for entry in inputs:
            id_property = entry.get("idProperty") or body.get("idProperty")
            if id_property not in self.store.unique_properties(otype):
                raise ApiError(
                    400, "idProperty %r must be a property with unique values" % id_property, "VALIDATION_ERROR"
                )
        results, errors = [], []
        for index, entry in enumerate(inputs):
            id_property = entry.get("idProperty") or body.get("idProperty")
            properties = dict(entry.get("properties") or {})
            try:
                self._validate_properties(otype, properties)
                existing = self.store.get(otype, str(entry.get("id")), id_property)
                if existing is None and id_property != "hs_object_id":
                    properties.setdefault(id_property, entry.get("id"))
                self._check_conflict(otype, properties, existing and existing["id"])
            except ApiError as error:
                errors.append(self._input_error(error, entry, index, entry.get("id")))
                continue
            if existing is None:
                target, new = self.store.create(otype, properties), True
                self._events(otype, target, "creation")
            else:
                target, new = existing, False
                changed = self.store.update(target, otype, properties)
                self._events(otype, target, "propertyChange", changed=changed)
            # HubSpot echoes the idProperty, so that a caller can match each result to its input.
            shaped = self._shape(otype, target, [*properties, id_property, *DEFAULT_PROPERTIES[otype]])
            results.append(dict(shaped, new=new))
        record["write"] = bool(results)
        return 200, results, errors

    def _batch_archive(self, otype, body, inputs, record):
        for entry in inputs:
            found = self.store.get(otype, str(entry.get("id")))
            if found is not None:
                self.store.archive(found)
                self._events(otype, found, "deletion")
        record["write"] = True
        return 204, None, []

    # -- search -------------------------------------------------------------------------------------
    def _api_search(self, request, body, record, *, otype):
        body = body or {}
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if limit > SEARCH_PAGE_MAX:
            raise ApiError(400, "limit must be at most %d" % SEARCH_PAGE_MAX, "VALIDATION_ERROR")
        if after + limit > SEARCH_RESULT_CAP:
            raise ApiError(
                400,
                "The maximum number of results is %d; narrow the search with filters." % SEARCH_RESULT_CAP,
                "VALIDATION_ERROR",
            )
        groups = body.get("filterGroups") or []
        if len(groups) > SEARCH_MAX_GROUPS or any(len(g.get("filters") or []) > SEARCH_MAX_FILTERS for g in groups):
            raise ApiError(
                400,
                "Too many filters: at most %d filterGroups of %d filters" % (SEARCH_MAX_GROUPS, SEARCH_MAX_FILTERS),
                "VALIDATION_ERROR",
            )
        definitions = self.store.properties[otype]
        records = [
            r
            for r in self.store.objects[otype].values()
            if not r["archived"]
            and (not groups or any(_group_matches(r, g, definitions) for g in groups))
            and _text_matches(r, body.get("query"), otype)
        ]
        records = _sort_records(records, body.get("sorts") or [], definitions)
        page = records[after : after + limit]
        payload = {"total": len(records), "results": [self._shape(otype, r, body.get("properties")) for r in page]}
        if after + limit < min(len(records), SEARCH_RESULT_CAP):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, payload

    # -- properties and pipelines -------------------------------------------------------------------
    def _api_properties(self, request, body, record, *, otype):
        return 200, {"results": list(self.store.properties[otype].values())}

    def _api_property_get(self, request, body, record, *, otype, name):
        definition = self.store.properties[otype].get(name)
        if definition is None:
            raise ApiError(404, "Unable to find property %s" % name, "OBJECT_NOT_FOUND")
        return 200, definition

    def _api_property_create(self, request, body, record, *, otype):
        body = body or {}
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise ApiError(400, "Invalid input JSON: missing %s" % ", ".join(missing), "VALIDATION_ERROR")
        if body["name"] in self.store.properties[otype]:
            raise ApiError(409, "Property named '%s' already exists." % body["name"], "OBJECT_ALREADY_EXISTS")
        record["write"] = True
        return 201, self.store.define_property(otype, body)

    def _api_pipelines(self, request, body, record, *, otype):
        if otype != "deals":
            return 200, {"results": []}
        return 200, {"results": [PIPELINE]}

    def _api_pipeline_get(self, request, body, record, *, otype, pipeline_id):
        if otype != "deals" or pipeline_id != PIPELINE["id"]:
            raise ApiError(404, "Unable to find pipeline %s" % pipeline_id, "OBJECT_NOT_FOUND")
        return 200, PIPELINE

    # -- associations v4 -------------------------------------------------------------------------------
    def _association_payload(self, otype, oid, to_type):
        return [
            {
                "toObjectId": int(to_id),
                "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": t, "label": self.store.label(otype, to_type, t)}
                    for t in sorted(types)
                ],
            }
            for to_id, types in self.store.associated(otype, oid, to_type).items()
        ]

    def _api_assoc_list(self, request, body, record, *, otype, oid, to_type):
        source = self._require(otype, oid)
        return 200, {"results": self._association_payload(otype, source["id"], to_type)}

    def _default_type(self, otype, to_type):
        types = ASSOCIATION_TYPES.get((otype, to_type))
        if not types:
            raise ApiError(400, "No association between %s and %s" % (otype, to_type), "VALIDATION_ERROR")
        return types[0][0]

    def _api_assoc_default(self, request, body, record, *, otype, oid, to_type, to_id):
        source, target = self._require(otype, oid), self._require(to_type, to_id)
        type_id = self._default_type(otype, to_type)
        self.store.associate(otype, source["id"], to_type, target["id"], type_id)
        record["write"] = True
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        return 200, {
            "status": "COMPLETE",
            "results": [{"from": {"id": source["id"]}, "to": {"id": target["id"]}, "associationSpec": spec}],
            "startedAt": self.store.now(),
            "completedAt": self.store.now(),
        }

    def _api_assoc_labelled(self, request, body, record, *, otype, oid, to_type, to_id):
        source, target = self._require(otype, oid), self._require(to_type, to_id)
        allowed = dict(ASSOCIATION_TYPES.get((otype, to_type), []))
        specs = body if isinstance(body, list) else []
        if not specs or any(s.get("associationTypeId") not in allowed for s in specs):
            raise ApiError(
                400, "Invalid association types %s for %s to %s" % (specs, otype, to_type), "VALIDATION_ERROR"
            )
        for spec in specs:
            self.store.associate(otype, source["id"], to_type, target["id"], spec["associationTypeId"])
        record["write"] = True
        return 201, {
            "fromObjectTypeId": OBJECT_TYPES[otype][0],
            "fromObjectId": int(source["id"]),
            "toObjectTypeId": OBJECT_TYPES[to_type][0],
            "toObjectId": int(target["id"]),
            "labels": [allowed[s["associationTypeId"]] for s in specs if allowed[s["associationTypeId"]]],
        }

    def _api_assoc_delete(self, request, body, record, *, otype, oid, to_type, to_id):
        self.store.dissociate(otype, self.store.resolve_id(otype, oid), to_type, self.store.resolve_id(to_type, to_id))
        record["write"] = True
        return 204, None

    def _api_assoc_batch_create(self, request, body, record, *, otype, to_type):
        return self._assoc_batch(body, record, otype, to_type, labelled=True)

    def _api_assoc_batch_default(self, request, body, record, *, otype, to_type):
        return self._assoc_batch(body, record, otype, to_type, labelled=False)

    def _assoc_batch(self, body, record, otype, to_type, labelled):
        inputs = (body or {}).get("inputs") or []
        if len(inputs) > BATCH_LIMIT:
            raise ApiError(400, "Too many inputs", "VALIDATION_ERROR")
        allowed = dict(ASSOCIATION_TYPES.get((otype, to_type), []))
        results, missing = [], []
        for entry in inputs:
            from_id, to_id = str(entry["from"]["id"]), str(entry["to"]["id"])
            source, target = self.store.get(otype, from_id), self.store.get(to_type, to_id)
            if source is None or target is None:
                missing.append(from_id if source is None else to_id)
                continue
            types = (
                [t.get("associationTypeId") for t in entry.get("types") or []]
                if labelled
                else [self._default_type(otype, to_type)]
            )
            if not types or any(t not in allowed for t in types):
                raise ApiError(400, "Invalid association types %s" % types, "VALIDATION_ERROR")
            for type_id in types:
                self.store.associate(otype, source["id"], to_type, target["id"], type_id)
            results.append(
                {
                    "fromObjectTypeId": OBJECT_TYPES[otype][0],
                    "fromObjectId": int(source["id"]),
                    "toObjectTypeId": OBJECT_TYPES[to_type][0],
                    "toObjectId": int(target["id"]),
                    "labels": [allowed[t] for t in types if allowed[t]],
                }
            )
        record["write"] = bool(results)
        return self._assoc_batch_answer(otype, results, missing, 201 if labelled else 200)

    def _api_assoc_batch_read(self, request, body, record, *, otype, to_type):
        results, missing = [], []
        for entry in (body or {}).get("inputs") or []:
            source = self.store.get(otype, str(entry.get("id")))
            if source is None:
                missing.append(str(entry.get("id")))
                continue
            results.append(
                {"from": {"id": source["id"]}, "to": self._association_payload(otype, source["id"], to_type)}
            )
        return self._assoc_batch_answer(otype, results, missing, 200)

    def _assoc_batch_answer(self, otype, results, missing, status):
        """An associations batch answer: ``status``, or 207 with an error naming the ids not found."""
        payload = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": self.store.now(),
            "completedAt": self.store.now(),
        }
        if missing:
            payload.update(errors=[self._not_found_error(otype, missing)], numErrors=len(missing))
            return 207, payload
        return status, payload

    def _api_assoc_labels(self, request, body, record, *, otype, to_type):
        return 200, {
            "results": [
                {"category": "HUBSPOT_DEFINED", "typeId": t, "label": label}
                for t, label in ASSOCIATION_TYPES.get((otype, to_type), [])
            ]
        }


# -- search helpers --------------------------------------------------------------------------------------
def _comparable(definition, value):
    if value in (None, ""):
        return None
    kind = (definition or {}).get("type")
    if kind in ("datetime", "date"):
        number = parse_iso(value) if isinstance(value, str) and "T" in value else None
        if number is not None:
            return number
    if kind in ("number", "datetime", "date"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return str(value).lower()


def _filter_matches(record, spec, definitions):  # noqa: PLR0911  one exit per operator family
    name, operator = spec.get("propertyName"), spec.get("operator", "EQ")
    definition = definitions.get(name)
    if definition is None:
        raise ApiError(
            400, "There was a problem with the request: property %s does not exist" % name, "VALIDATION_ERROR"
        )
    actual = _comparable(definition, record["properties"].get(name))
    if operator == "HAS_PROPERTY":
        return actual is not None
    if operator == "NOT_HAS_PROPERTY":
        return actual is None
    if operator in ("IN", "NOT_IN"):
        values = {_comparable(definition, v) for v in spec.get("values") or []}
        return (actual in values) == (operator == "IN")
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(spec.get("value", "")).lower().strip("*")
        hit = actual is not None and token in str(actual)
        return hit == (operator == "CONTAINS_TOKEN")
    wanted = _comparable(definition, spec.get("value"))
    if operator == "NEQ":
        return actual != wanted
    if actual is None or wanted is None:
        return False
    if type(actual) is not type(wanted):
        actual, wanted = str(actual), str(wanted)
    if operator == "BETWEEN":
        high = _comparable(definition, spec.get("highValue"))
        return high is not None and wanted <= actual <= high
    comparisons = {
        "EQ": actual == wanted,
        "LT": actual < wanted,
        "LTE": actual <= wanted,
        "GT": actual > wanted,
        "GTE": actual >= wanted,
    }
    if operator not in comparisons:
        raise ApiError(400, "Unknown operator %s" % operator, "VALIDATION_ERROR")
    return comparisons[operator]


def _group_matches(record, group, definitions):
    return all(_filter_matches(record, spec, definitions) for spec in group.get("filters") or [])


def _text_matches(record, query, otype):
    if not query:
        return True
    needle = query.lower()
    return any(
        needle in str(record["properties"].get(name) or "").lower()
        for name in ("email", "firstname", "lastname", "name", "domain", "dealname", "phone")
    )


def _sort_records(records, sorts, definitions):
    records = sorted(records, key=lambda r: int(r["id"]))
    for entry in reversed(sorts):
        spec = (
            entry
            if not isinstance(entry, str)
            else {
                "propertyName": entry.lstrip("-"),
                "direction": "DESCENDING" if entry.startswith("-") else "ASCENDING",
            }
        )
        name = spec.get("propertyName")
        definition = definitions.get(name)

        def key(record, name=name, definition=definition):
            value = _comparable(definition, record["properties"].get(name))
            return (value is None, "" if value is None else value)

        records = sorted(records, key=key, reverse=spec.get("direction") == "DESCENDING")
    return records
