"""In-memory CRM of the HubSpot sandbox: objects, properties, associations,
pipelines. Values are strings, as HubSpot returns them."""

import datetime
import itertools

OBJECT_TYPES = {"contacts": ("0-1", "contact"), "companies": ("0-2", "company"), "deals": ("0-3", "deal")}
TYPE_ALIASES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "0-1": "contacts",
    "0-2": "companies",
    "0-3": "deals",
}
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_merged_object_ids"}
DEFAULT_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": [
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
}
_STANDARD = {
    "contacts": [
        ("email", "string"),
        ("firstname", "string"),
        ("lastname", "string"),
        ("phone", "string"),
        ("company", "string"),
        ("website", "string"),
        ("address", "string"),
        ("city", "string"),
        ("zip", "string"),
        ("country", "string"),
        ("jobtitle", "string"),
        ("lifecyclestage", "enumeration"),
        ("hs_additional_emails", "string"),
        ("lastmodifieddate", "datetime"),
    ],
    "companies": [
        ("name", "string"),
        ("domain", "string"),
        ("phone", "string"),
        ("address", "string"),
        ("city", "string"),
        ("zip", "string"),
        ("country", "string"),
        ("industry", "string"),
        ("hs_lastmodifieddate", "datetime"),
    ],
    "deals": [
        ("dealname", "string"),
        ("amount", "number"),
        ("dealstage", "enumeration"),
        ("pipeline", "enumeration"),
        ("closedate", "datetime"),
        ("deal_currency_code", "string"),
        ("hs_lastmodifieddate", "datetime"),
    ],
}
# HubSpot's internal values of the contact lifecycle stage, in funnel order.
LIFECYCLE_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
# typeId per direction; HUBSPOT_DEFINED. Unlabeled first, then primary.
ASSOCIATION_TYPES = {
    ("contacts", "companies"): [(279, None), (1, "Primary")],
    ("companies", "contacts"): [(280, None), (2, "Primary")],
    ("deals", "contacts"): [(3, None)],
    ("contacts", "deals"): [(4, None)],
    ("deals", "companies"): [(341, None), (5, "Primary")],
    ("companies", "deals"): [(342, None), (6, "Primary")],
}
INVERSE_TYPE = {279: 280, 280: 279, 1: 2, 2: 1, 3: 4, 4: 3, 341: 342, 342: 341, 5: 6, 6: 5}
PIPELINE = {
    "id": "default",
    "label": "Sales Pipeline",
    "displayOrder": 0,
    "archived": False,
    "stages": [
        {
            "id": stage_id,
            "label": label,
            "displayOrder": order,
            "archived": False,
            "metadata": {"isClosed": str(closed).lower(), "probability": probability},
        }
        for order, (stage_id, label, probability, closed) in enumerate(
            [
                ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
                ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
                ("presentationscheduled", "Presentation Scheduled", "0.6", False),
                ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
                ("contractsent", "Contract Sent", "0.9", False),
                ("closedwon", "Closed Won", "1.0", True),
                ("closedlost", "Closed Lost", "0.0", True),
            ]
        )
    ],
}


def iso(stamp):
    moment = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def parse_iso(value):
    try:
        return (
            datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
            * 1000
        )
    except (TypeError, ValueError):
        return None


class HubSpotStore:
    def __init__(self, clock):
        self.clock = clock
        self.clear()

    def clear(self):
        self._ids = itertools.count(101)
        self.objects = {name: {} for name in OBJECT_TYPES}
        self.merged = {name: {} for name in OBJECT_TYPES}  # merged id -> primary id
        self.associations = set()  # (from_type, from_id, to_type, to_id, type_id)
        self.properties = {name: {} for name in OBJECT_TYPES}
        # Unique property values (lower case) -> ids, so that conflict checks and idProperty
        # lookups stay cheap when a bulk load fills the store with tens of thousands of objects.
        self.index = {name: {} for name in OBJECT_TYPES}
        common = [("createdate", "datetime"), ("hs_object_id", "number"), ("hs_merged_object_ids", "string")]
        for object_type, definitions in _STANDARD.items():
            for name, kind in definitions + common:
                self.define_property(
                    object_type,
                    {
                        "name": name,
                        "label": name.title(),
                        "type": kind,
                        "fieldType": "text" if kind == "string" else kind,
                        "groupName": OBJECT_TYPES[object_type][1] + "information",
                        "hasUniqueValue": False,
                    },
                    hubspot_defined=True,
                )
        self.properties["deals"]["dealstage"]["options"] = [
            {"label": s["label"], "value": s["id"], "displayOrder": s["displayOrder"], "hidden": False}
            for s in PIPELINE["stages"]
        ]
        self.properties["contacts"]["lifecyclestage"]["options"] = [
            {"label": value.title(), "value": value, "displayOrder": order, "hidden": False}
            for order, value in enumerate(LIFECYCLE_STAGES)
        ]
        self.properties["deals"]["pipeline"]["options"] = [
            {"label": PIPELINE["label"], "value": "default", "displayOrder": 0, "hidden": False}
        ]

    def now(self):
        return iso(self.clock())

    def next_id(self):
        return str(next(self._ids))

    # -- properties ------------------------------------------------------------
    def define_property(self, object_type, data, hubspot_defined=False):
        now = self.now()
        definition = {
            "name": data["name"],
            "label": data.get("label") or data["name"],
            "type": data.get("type", "string"),
            "fieldType": data.get("fieldType", "text"),
            "groupName": data.get("groupName", "contactinformation"),
            "description": data.get("description", ""),
            "options": data.get("options", []),
            "displayOrder": data.get("displayOrder", -1),
            "hasUniqueValue": bool(data.get("hasUniqueValue")),
            "hidden": bool(data.get("hidden")),
            "formField": bool(data.get("formField", True)),
            "calculated": False,
            "externalOptions": False,
            "hubspotDefined": hubspot_defined,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "modificationMetadata": {
                "archivable": not hubspot_defined,
                "readOnlyDefinition": hubspot_defined,
                "readOnlyValue": data["name"] in READ_ONLY,
            },
        }
        self.properties[object_type][data["name"]] = definition
        if definition["hasUniqueValue"] or (object_type == "contacts" and data["name"] == "email"):
            bucket = self.index[object_type][data["name"]] = {}
            for record in self.objects[object_type].values():
                _index_value(bucket, record, data["name"], add=True)
        return definition

    def _reindex(self, object_type, record, add):
        for name, bucket in self.index[object_type].items():
            _index_value(bucket, record, name, add)

    def find(self, object_type, name, value, archived=False):
        """Objects whose ``name`` equals ``value`` (case-insensitive), in id order."""
        bucket = self.index[object_type].get(name)
        if bucket is None:
            candidates = self.objects[object_type].values()
        else:
            ids = bucket.get(str(value).lower(), ())
            candidates = [self.objects[object_type][i] for i in ids if i in self.objects[object_type]]
        found = [
            r
            for r in candidates
            if r["archived"] == archived and str(r["properties"].get(name) or "").lower() == str(value).lower()
        ]
        return sorted(found, key=lambda r: int(r["id"]))

    def unique_properties(self, object_type):
        names = {name for name, d in self.properties[object_type].items() if d["hasUniqueValue"]}
        if object_type == "contacts":
            names.add("email")
        return names | {"hs_object_id"}

    def property_errors(self, object_type, properties):
        """HubSpot's per-property validation entries (empty if valid)."""
        errors = []
        definitions = self.properties[object_type]
        for name, value in properties.items():
            definition = definitions.get(name)
            if definition is None:
                errors.append(_invalid(name, 'Property "%s" does not exist' % name, "PROPERTY_DOESNT_EXIST"))
            elif name in READ_ONLY:
                errors.append(
                    _invalid(name, '"%s" is a read only property; its value cannot be set.' % name, "READ_ONLY_VALUE")
                )
            elif value not in (None, "") and definition["type"] == "number" and not _is_number(value):
                errors.append(_invalid(name, "%s was not a valid number." % value, "INVALID_FLOAT"))
            elif (
                value not in (None, "")
                and definition["options"]
                and str(value) not in {o["value"] for o in definition["options"]}
            ):
                errors.append(_invalid(name, "%s was not one of the allowed options" % value, "INVALID_OPTION"))
        return errors

    def conflict(self, object_type, properties, own_id=None):
        """(property, existing id) if a unique property value is taken."""
        for name in self.unique_properties(object_type) - {"hs_object_id"}:
            value = properties.get(name)
            if value in (None, ""):
                continue
            for record in self.find(object_type, name, value):
                if record["id"] != own_id:
                    return name, record["id"]
        return None

    # -- objects --------------------------------------------------------------------
    def resolve_id(self, object_type, object_id):
        """Follow merges: a merged-away id answers as its primary."""
        seen = set()
        while object_id in self.merged[object_type] and object_id not in seen:
            seen.add(object_id)
            object_id = self.merged[object_type][object_id]
        return object_id

    def get(self, object_type, object_id, id_property=None, archived=False):
        if id_property and id_property != "hs_object_id":
            found = self.find(object_type, id_property, object_id, archived=archived)
            return found[0] if found else None
        record = self.objects[object_type].get(self.resolve_id(object_type, str(object_id)))
        return record if record is not None and record["archived"] == archived else None

    def create(self, object_type, properties):
        object_id = self.next_id()
        now = self.now()
        values = {k: _text(v) for k, v in properties.items()}
        values.update(hs_object_id=object_id, createdate=now, **{self._modified_key(object_type): now})
        if object_type == "deals":
            values.setdefault("pipeline", "default")
        record = {"id": object_id, "properties": values, "createdAt": now, "updatedAt": now, "archived": False}
        self.objects[object_type][object_id] = record
        self._reindex(object_type, record, add=True)
        return record

    def update(self, record, object_type, properties):
        """Apply properties; returns {name: new value} of what really changed."""
        changed = {}
        self._reindex(object_type, record, add=False)
        for name, raw in properties.items():
            value = _text(raw)
            if record["properties"].get(name) != value:
                record["properties"][name] = value
                changed[name] = value
        if changed:
            now = self.now()
            record["updatedAt"] = now
            record["properties"][self._modified_key(object_type)] = now
        self._reindex(object_type, record, add=True)
        return changed

    def archive(self, record):
        record["archived"] = True
        record["archivedAt"] = self.now()

    @staticmethod
    def _modified_key(object_type):
        return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"

    def merge(self, object_type, primary, secondary):
        self._reindex(object_type, primary, add=False)
        self._reindex(object_type, secondary, add=False)
        for name, value in secondary["properties"].items():
            if name in READ_ONLY or value in (None, ""):
                continue
            if primary["properties"].get(name) in (None, ""):
                primary["properties"][name] = value
            elif name == "email" and value != primary["properties"][name]:
                extra = [e for e in (primary["properties"].get("hs_additional_emails") or "").split(";") if e]
                primary["properties"]["hs_additional_emails"] = ";".join([*extra, value])
        merged = [i for i in (primary["properties"].get("hs_merged_object_ids") or "").split(";") if i]
        merged += [secondary["id"]] + [
            i for i in (secondary["properties"].get("hs_merged_object_ids") or "").split(";") if i
        ]
        primary["properties"]["hs_merged_object_ids"] = ";".join(merged)
        for association in list(self.associations):
            from_type, from_id, to_type, to_id, type_id = association
            if from_id == secondary["id"] and from_type == object_type:
                self.associations.discard(association)
                self.associations.add((from_type, primary["id"], to_type, to_id, type_id))
            elif to_id == secondary["id"] and to_type == object_type:
                self.associations.discard(association)
                self.associations.add((from_type, from_id, to_type, primary["id"], type_id))
        del self.objects[object_type][secondary["id"]]
        self.merged[object_type][secondary["id"]] = primary["id"]
        now = self.now()
        primary["updatedAt"] = now
        primary["properties"][self._modified_key(object_type)] = now
        self._reindex(object_type, primary, add=True)
        return primary

    # -- associations ------------------------------------------------------------------
    def associate(self, from_type, from_id, to_type, to_id, type_id):
        self.associations.add((from_type, from_id, to_type, to_id, type_id))
        inverse = INVERSE_TYPE.get(type_id, type_id)
        self.associations.add((to_type, to_id, from_type, from_id, inverse))

    def dissociate(self, from_type, from_id, to_type, to_id):
        for association in list(self.associations):
            if association[:4] in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
                self.associations.discard(association)

    def associated(self, from_type, from_id, to_type):
        """{to_id: [type ids]} in id order."""
        found = {}
        for a_from, a_id, a_to, to_id, type_id in self.associations:
            if a_from == from_type and a_id == from_id and a_to == to_type:
                found.setdefault(to_id, []).append(type_id)
        return dict(sorted(found.items(), key=lambda item: int(item[0])))

    def label(self, from_type, to_type, type_id):
        return dict(ASSOCIATION_TYPES.get((from_type, to_type), [])).get(type_id)


def _index_value(bucket, record, name, add):
    value = record["properties"].get(name)
    if value in (None, ""):
        return
    key = str(value).lower()
    if add:
        bucket.setdefault(key, set()).add(record["id"])
    elif key in bucket:
        bucket[key].discard(record["id"])


def _invalid(name, message, error):
    return {"isValid": False, "message": message, "error": error, "name": name, "localizedErrorMessage": message}


def _is_number(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
