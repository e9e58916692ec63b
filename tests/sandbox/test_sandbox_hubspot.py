"""Contract tests of the HubSpot sandbox over real HTTP."""

import base64
import hashlib
import hmac
import json

import pytest
import requests

from sandbox import HubSpotSandbox


class Api:
    def __init__(self, hub):
        self.hub = hub

    def __call__(self, method, path, token=None, **kwargs):
        headers = {"Authorization": "Bearer " + (token or self.hub.token)}
        return requests.request(method, self.hub.url + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture
def api(hub):
    return Api(hub)


def contact_ids(hub):
    return sorted((r["id"] for r in hub.store.objects["contacts"].values()), key=int)


def assert_error(response, status, category):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and body["category"] == category
    assert body["correlationId"] and body["message"]
    return body


def make_odoo_id(api):
    return api(
        "POST",
        "/crm/v3/properties/contacts",
        json={
            "name": "odoo_id",
            "label": "Odoo ID",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
            "hasUniqueValue": True,
        },
    )


# -- auth, errors, paging ------------------------------------------------------------
def test_bad_token_is_401(api):
    body = assert_error(api("GET", "/crm/v3/objects/contacts", token="nope"), 401, "INVALID_AUTHENTICATION")
    assert "Authentication credentials not found" in body["message"]


def test_unknown_object_type_is_400(api):
    assert_error(api("GET", "/crm/v3/objects/tickets_x"), 400, "VALIDATION_ERROR")


def test_list_pages_with_after(api, hub):
    seen, after = [], None
    while True:
        params = {"limit": 7, "properties": "email"}
        if after:
            params["after"] = after
        body = api("GET", "/crm/v3/objects/contacts", params=params).json()
        seen += [r["id"] for r in body["results"]]
        assert set(body["results"][0]["properties"]) == {"email"}
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
    assert seen == contact_ids(hub)


def test_get_default_properties_and_404(api, hub):
    contact_id = contact_ids(hub)[0]
    body = api("GET", "/crm/v3/objects/contacts/%s" % contact_id).json()
    assert set(body["properties"]) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }
    assert body["properties"]["hs_object_id"] == contact_id
    assert_error(api("GET", "/crm/v3/objects/contacts/999999"), 404, "OBJECT_NOT_FOUND")


def test_get_by_id_property(api, hub):
    contact = hub.store.objects["contacts"][contact_ids(hub)[0]]
    email = contact["properties"]["email"]
    body = api("GET", "/crm/v3/objects/contacts/%s" % email, params={"idProperty": "email"}).json()
    assert body["id"] == contact["id"]


# -- create, update, archive ---------------------------------------------------------------
def test_create_update_archive(api, hub):
    created = api("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "new@x.org", "firstname": "N"}})
    assert created.status_code == 201
    contact_id = created.json()["id"]
    updated = api("PATCH", "/crm/v3/objects/contacts/%s" % contact_id, json={"properties": {"lastname": "L"}})
    assert updated.json()["properties"]["lastname"] == "L"
    assert api("DELETE", "/crm/v3/objects/contacts/%s" % contact_id).status_code == 204
    assert_error(api("GET", "/crm/v3/objects/contacts/%s" % contact_id), 404, "OBJECT_NOT_FOUND")
    archived = api("GET", "/crm/v3/objects/contacts", params={"archived": "true"}).json()["results"]
    assert [r["id"] for r in archived] == [contact_id]


def test_create_validation_errors(api, hub):
    body = assert_error(
        api("POST", "/crm/v3/objects/contacts", json={"properties": {"shoe_size": "42"}}), 400, "VALIDATION_ERROR"
    )
    assert "PROPERTY_DOESNT_EXIST" in body["message"]
    body = assert_error(
        api("POST", "/crm/v3/objects/contacts", json={"properties": {"hs_object_id": "1"}}), 400, "VALIDATION_ERROR"
    )
    assert "READ_ONLY_VALUE" in body["message"]
    body = assert_error(
        api("POST", "/crm/v3/objects/deals", json={"properties": {"dealname": "d", "amount": "lots"}}),
        400,
        "VALIDATION_ERROR",
    )
    assert "INVALID_FLOAT" in body["message"]
    body = assert_error(
        api("POST", "/crm/v3/objects/deals", json={"properties": {"dealstage": "nowhere"}}), 400, "VALIDATION_ERROR"
    )
    assert "INVALID_OPTION" in body["message"]
    existing = hub.store.objects["contacts"][contact_ids(hub)[0]]
    body = assert_error(
        api(
            "POST", "/crm/v3/objects/contacts", json={"properties": {"email": existing["properties"]["email"].upper()}}
        ),
        409,
        "CONFLICT",
    )
    assert body["message"] == "Contact already exists. Existing ID: %s" % existing["id"]
    assert_error(api("POST", "/crm/v3/objects/contacts", data="{oops"), 400, "VALIDATION_ERROR")


def test_create_with_associations(api, hub):
    company_id = next(iter(hub.store.objects["companies"]))
    created = api(
        "POST",
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "a@b.org"},
            "associations": [
                {
                    "to": {"id": company_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        },
    )
    contact_id = created.json()["id"]
    body = api("GET", "/crm/v3/objects/contacts/%s" % contact_id, params={"associations": "companies"}).json()
    assert body["associations"]["companies"]["results"] == [{"id": company_id, "type": "contact_to_company"}]


# -- properties and pipelines ----------------------------------------------------------------
def test_unique_property_create_and_conflict(api):
    created = make_odoo_id(api)
    assert created.status_code == 201 and created.json()["hasUniqueValue"] is True
    assert_error(make_odoo_id(api), 409, "OBJECT_ALREADY_EXISTS")
    assert api("GET", "/crm/v3/properties/contacts/odoo_id").json()["name"] == "odoo_id"
    names = [p["name"] for p in api("GET", "/crm/v3/properties/contacts").json()["results"]]
    assert "odoo_id" in names and "email" in names
    api("POST", "/crm/v3/objects/contacts", json={"properties": {"odoo_id": "res.partner,7"}})
    assert_error(
        api("POST", "/crm/v3/objects/contacts", json={"properties": {"odoo_id": "res.partner,7"}}), 409, "CONFLICT"
    )


def test_deal_pipelines(api):
    pipelines = api("GET", "/crm/v3/pipelines/deals").json()["results"]
    assert pipelines[0]["id"] == "default"
    assert [s["id"] for s in pipelines[0]["stages"]][-2:] == ["closedwon", "closedlost"]
    assert api("GET", "/crm/v3/pipelines/deals/default").json()["label"] == "Sales Pipeline"
    assert_error(api("GET", "/crm/v3/pipelines/deals/other"), 404, "OBJECT_NOT_FOUND")


# -- batch --------------------------------------------------------------------------------------
def test_batch_read_partial_failure_is_207(api, hub):
    ids = contact_ids(hub)[:2]
    response = api(
        "POST",
        "/crm/v3/objects/contacts/batch/read",
        json={"inputs": [{"id": ids[0]}, {"id": "424242"}, {"id": ids[1]}], "properties": ["email"]},
    )
    assert response.status_code == 207
    body = response.json()
    assert [r["id"] for r in body["results"]] == ids
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"ids": ["424242"]}
    assert body["numErrors"] == 1
    ok = api("POST", "/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": ids[0]}]})
    assert ok.status_code == 200 and ok.json()["status"] == "COMPLETE"


def test_batch_limits_to_100_inputs(api):
    inputs = [{"properties": {"email": "x%d@y.org" % i}} for i in range(101)]
    assert_error(api("POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": inputs}), 400, "VALIDATION_ERROR")


def test_batch_create_update_archive(api, hub):
    created = api(
        "POST",
        "/crm/v3/objects/companies/batch/create",
        json={"inputs": [{"properties": {"name": "A"}}, {"properties": {"name": "B"}}]},
    )
    assert created.status_code == 201
    ids = [r["id"] for r in created.json()["results"]]
    updated = api(
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": ids[0], "properties": {"city": "Gent"}}, {"id": "99999", "properties": {"city": "X"}}]},
    )
    assert updated.status_code == 207
    assert hub.store.objects["companies"][ids[0]]["properties"]["city"] == "Gent"
    duplicate = api(
        "POST",
        "/crm/v3/objects/companies/batch/update",
        json={"inputs": [{"id": ids[0], "properties": {}}, {"id": ids[0], "properties": {}}]},
    )
    assert_error(duplicate, 400, "VALIDATION_ERROR")
    archived = api("POST", "/crm/v3/objects/companies/batch/archive", json={"inputs": [{"id": i} for i in ids]})
    assert archived.status_code == 204
    assert all(hub.store.objects["companies"][i]["archived"] for i in ids)


def test_batch_upsert_on_unique_property(api, hub):
    make_odoo_id(api)
    first = api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        json={
            "inputs": [
                {"id": "res.partner,1", "idProperty": "odoo_id", "properties": {"email": "p1@x.org", "firstname": "P"}},
                {"id": "res.partner,2", "idProperty": "odoo_id", "properties": {"email": "p2@x.org"}},
            ]
        },
    )
    assert first.status_code == 200
    results = first.json()["results"]
    assert [r["new"] for r in results] == [True, True]
    second = api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        json={"inputs": [{"id": "res.partner,1", "idProperty": "odoo_id", "properties": {"firstname": "Q"}}]},
    )
    assert second.json()["results"][0]["new"] is False
    assert second.json()["results"][0]["id"] == results[0]["id"]
    assert hub.store.objects["contacts"][results[0]["id"]]["properties"]["firstname"] == "Q"
    not_unique = api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        json={"inputs": [{"id": "x", "idProperty": "firstname", "properties": {}}]},
    )
    assert_error(not_unique, 400, "VALIDATION_ERROR")


def _multi_status(response):
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["status"] == "COMPLETE"
    for error in body["errors"]:
        assert error["status"] == "error" and error["category"] and error["message"]
    return body


def test_batch_create_partial_failure_is_207(api, hub):
    taken = hub.store.objects["contacts"][contact_ids(hub)[0]]["properties"]["email"]
    before = len(hub.store.objects["contacts"])
    body = _multi_status(
        api(
            "POST",
            "/crm/v3/objects/contacts/batch/create",
            json={
                "inputs": [
                    {"properties": {"email": "fresh@x.org"}},
                    {"properties": {"email": taken.upper()}, "objectWriteTraceId": "t-1"},
                    {"properties": {"email": "bad@x.org", "lifecyclestage": "nowhere"}},
                    {"properties": {"email": "FRESH@x.org"}},
                ]
            },
        )
    )
    assert [r["properties"]["email"] for r in body["results"]] == ["fresh@x.org"]
    assert len(hub.store.objects["contacts"]) == before + 1
    conflict, invalid, duplicate = body["errors"]
    assert conflict["category"] == "CONFLICT"
    assert conflict["message"] == "Contact already exists. Existing ID: %s" % contact_ids(hub)[0]
    assert conflict["context"] == {"index": ["1"], "objectWriteTraceId": ["t-1"]}
    assert invalid["category"] == "VALIDATION_ERROR" and invalid["context"] == {"index": ["2"]}
    assert invalid["errors"][0]["code"] == "INVALID_OPTION"
    assert invalid["errors"][0]["context"] == {"propertyName": ["lifecyclestage"]}
    assert duplicate["category"] == "CONFLICT", "an input clashing with an earlier one of the batch is refused"
    assert body["numErrors"] == 3


def test_batch_create_all_failed_is_still_207_but_malformed_is_400(api, hub):
    before = len(hub.store.objects["contacts"])
    body = _multi_status(
        api("POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": [{"properties": {"shoe_size": "42"}}]})
    )
    assert body["results"] == [] and body["numErrors"] == 1
    assert "PROPERTY_DOESNT_EXIST" in body["errors"][0]["message"]
    assert len(hub.store.objects["contacts"]) == before
    assert_error(api("POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": "x"}), 400, "VALIDATION_ERROR")
    assert_error(
        api("POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": [{"properties": ["email"]}]}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(api("POST", "/crm/v3/objects/contacts/batch/create", data="{oops"), 400, "VALIDATION_ERROR")


def test_batch_update_partial_failure_is_207(api, hub):
    first, second, third = contact_ids(hub)[:3]
    taken = hub.store.objects["contacts"][third]["properties"]["email"]
    body = _multi_status(
        api(
            "POST",
            "/crm/v3/objects/contacts/batch/update",
            json={
                "inputs": [
                    {"id": first, "properties": {"city": "Gent"}},
                    {"id": second, "properties": {"email": taken}},
                    {"id": "424242", "properties": {"city": "X"}},
                    {"id": third, "properties": {"lifecyclestage": "nowhere"}},
                ]
            },
        )
    )
    assert [r["id"] for r in body["results"]] == [first]
    assert hub.store.objects["contacts"][first]["properties"]["city"] == "Gent"
    assert hub.store.objects["contacts"][second]["properties"]["email"] != taken
    by_category = {e["category"]: e for e in body["errors"]}
    assert by_category["OBJECT_NOT_FOUND"]["context"] == {"ids": ["424242"]}
    assert by_category["CONFLICT"]["context"] == {"ids": [second]}
    assert by_category["VALIDATION_ERROR"]["context"] == {"ids": [third]}
    assert body["numErrors"] == 3


def test_batch_upsert_partial_failure_is_207(api, hub):
    make_odoo_id(api)
    existing = contact_ids(hub)[0]
    taken = hub.store.objects["contacts"][existing]["properties"]["email"]
    api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        json={"inputs": [{"id": "5", "idProperty": "odoo_id", "properties": {"email": "five@x.org"}}]},
    )
    body = _multi_status(
        api(
            "POST",
            "/crm/v3/objects/contacts/batch/upsert",
            json={
                "inputs": [
                    {"id": "5", "idProperty": "odoo_id", "properties": {"firstname": "Five"}},
                    {"id": "6", "idProperty": "odoo_id", "properties": {"email": taken}},
                    {"id": "7", "idProperty": "odoo_id", "properties": {"email": "seven@x.org"}},
                    {"id": "8", "idProperty": "odoo_id", "properties": {"lifecyclestage": "nowhere"}},
                ]
            },
        )
    )
    results = {r["properties"]["odoo_id"]: r for r in body["results"]}
    assert set(results) == {"5", "7"}, "the idProperty is echoed even when it is not in the properties"
    assert (results["5"]["new"], results["7"]["new"]) == (False, True)
    assert results["5"]["properties"]["firstname"] == "Five"
    conflict, invalid = body["errors"]
    assert (conflict["category"], conflict["context"]) == ("CONFLICT", {"ids": ["6"]})
    assert conflict["message"] == "Contact already exists. Existing ID: %s" % existing
    assert (invalid["category"], invalid["context"]) == ("VALIDATION_ERROR", {"ids": ["8"]})
    assert body["numErrors"] == 2
    assert not hub.store.find("contacts", "odoo_id", "6") and not hub.store.find("contacts", "odoo_id", "8")


# -- search ---------------------------------------------------------------------------------------
def search(api, otype="contacts", **body):
    return api("POST", "/crm/v3/objects/%s/search" % otype, json=body)


def test_search_filters_sorts_and_paging(api, hub):
    for amount, name in ((100, "small"), (5000, "big"), (900, "middle")):
        hub.store.create("deals", {"dealname": "zz-" + name, "amount": str(amount), "dealstage": "closedwon"})
    gt = search(
        api,
        "deals",
        filterGroups=[
            {
                "filters": [
                    {"propertyName": "dealname", "operator": "CONTAINS_TOKEN", "value": "zz-*"},
                    {"propertyName": "amount", "operator": "GT", "value": "500"},
                ]
            }
        ],
        sorts=[{"propertyName": "amount", "direction": "DESCENDING"}],
        properties=["dealname", "amount"],
    ).json()
    assert [r["properties"]["dealname"] for r in gt["results"]] == ["zz-big", "zz-middle"]
    assert gt["total"] == 2
    between = search(
        api,
        "deals",
        filterGroups=[
            {
                "filters": [
                    {"propertyName": "amount", "operator": "BETWEEN", "value": "100", "highValue": "900"},
                    {"propertyName": "dealname", "operator": "IN", "values": ["zz-small", "zz-middle"]},
                ]
            }
        ],
    ).json()
    assert between["total"] == 2
    either = search(
        api,
        "deals",
        filterGroups=[
            {"filters": [{"propertyName": "dealname", "operator": "EQ", "value": "ZZ-SMALL"}]},
            {"filters": [{"propertyName": "dealname", "operator": "EQ", "value": "zz-big"}]},
        ],
    ).json()
    assert either["total"] == 2
    page = search(api, limit=5).json()
    assert len(page["results"]) == 5 and page["paging"]["next"]["after"] == "5"
    rest = search(api, limit=200, after="5").json()
    assert len(rest["results"]) == page["total"] - 5 and "paging" not in rest
    missing = search(api, filterGroups=[{"filters": [{"propertyName": "phone", "operator": "NOT_HAS_PROPERTY"}]}])
    assert missing.json()["total"] == len(hub.store.objects["contacts"])


def test_search_by_modified_date_in_epoch_millis(api, hub):
    cutoff_ms = int(hub.clock() * 1000) - 60000
    found = search(
        api,
        filterGroups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(cutoff_ms)}]}],
    ).json()
    assert found["total"] == len(hub.store.objects["contacts"])


def test_search_limits(api):
    assert_error(search(api, limit=201), 400, "VALIDATION_ERROR")
    assert_error(search(api, limit=100, after="9950"), 400, "VALIDATION_ERROR")
    groups = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6
    assert_error(search(api, filterGroups=groups), 400, "VALIDATION_ERROR")
    bad = search(api, filterGroups=[{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}])
    assert_error(bad, 400, "VALIDATION_ERROR")


def test_search_is_limited_to_5_requests_per_second(clock):
    hub = HubSpotSandbox(seed=1, clock=clock, contacts=2, companies=0, deals=0).start()
    try:
        api = Api(hub)
        statuses = [search(api).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        body = search(api).json()
        assert body["policyName"] == "SECONDLY" and body["category"] == "RATE_LIMITS"
        clock.advance(1.0)
        assert search(api).status_code == 200
    finally:
        hub.stop()


def test_rolling_ten_second_window_with_headers(clock):
    hub = HubSpotSandbox(seed=1, rate_limit=3, window_seconds=10, clock=clock, contacts=1, companies=0, deals=0).start()
    try:
        api = Api(hub)
        answers = [api("GET", "/crm/v3/objects/contacts") for _ in range(3)]
        assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "3"
        assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        clock.advance(4)
        limited = api("GET", "/crm/v3/objects/contacts")
        assert limited.status_code == 429
        body = limited.json()
        assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT"
        assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["correlationId"]
        clock.advance(6)  # the first three leave the window together
        assert api("GET", "/crm/v3/objects/contacts").status_code == 200
    finally:
        hub.stop()


# -- associations -----------------------------------------------------------------------------------
def test_associations_v4(api, hub):
    contact_id = contact_ids(hub)[-1]
    deal_id = next(iter(hub.store.objects["deals"]))
    company_id = list(hub.store.objects["companies"])[-1]
    default = api("PUT", "/crm/v4/objects/contacts/%s/associations/default/deals/%s" % (contact_id, deal_id))
    assert default.status_code == 200
    assert default.json()["results"][0]["associationSpec"]["associationTypeId"] == 4
    back = api("GET", "/crm/v4/objects/deals/%s/associations/contacts" % deal_id).json()["results"]
    assert back == [
        {
            "toObjectId": int(contact_id),
            "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}],
        }
    ]
    labelled = api(
        "PUT",
        "/crm/v4/objects/contacts/%s/associations/companies/%s" % (contact_id, company_id),
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
    )
    assert labelled.status_code == 201 and labelled.json()["labels"] == ["Primary"]
    bad = api(
        "PUT",
        "/crm/v4/objects/contacts/%s/associations/companies/%s" % (contact_id, company_id),
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
    )
    assert_error(bad, 400, "VALIDATION_ERROR")
    labels = api("GET", "/crm/v4/associations/contacts/companies/labels").json()["results"]
    assert {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"} in labels
    assert api("DELETE", "/crm/v4/objects/contacts/%s/associations/deals/%s" % (contact_id, deal_id)).status_code == 204
    assert api("GET", "/crm/v4/objects/deals/%s/associations/contacts" % deal_id).json()["results"] == []


def test_association_batches(api, hub):
    contact_id = contact_ids(hub)[0]
    deals = list(hub.store.objects["deals"])[:2]
    created = api(
        "POST",
        "/crm/v4/associations/deals/contacts/batch/create",
        json={
            "inputs": [
                {
                    "from": {"id": d},
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
                }
                for d in deals
            ]
        },
    )
    assert created.status_code == 201 and len(created.json()["results"]) == 2
    default = api(
        "POST",
        "/crm/v4/associations/deals/companies/batch/associate/default",
        json={"inputs": [{"from": {"id": deals[0]}, "to": {"id": "999999"}}]},
    )
    assert default.status_code == 207
    read = api("POST", "/crm/v4/associations/contacts/deals/batch/read", json={"inputs": [{"id": contact_id}]})
    assert sorted(t["toObjectId"] for t in read.json()["results"][0]["to"]) == sorted(int(d) for d in deals)


# -- merge -----------------------------------------------------------------------------------------------
def test_merge_contacts(api, hub):
    primary, secondary = contact_ids(hub)[:2]
    secondary_company = next(iter(hub.store.associated("contacts", secondary, "companies")))
    hub.store.objects["contacts"][secondary]["properties"]["phone"] = "+32 2 555 00 00"
    merged = api(
        "POST", "/crm/v3/objects/contacts/merge", json={"primaryObjectId": primary, "objectIdToMerge": secondary}
    )
    assert merged.status_code == 200 and merged.json()["id"] == primary
    body = api(
        "GET",
        "/crm/v3/objects/contacts/%s" % secondary,
        params={"properties": "hs_merged_object_ids,phone,hs_additional_emails"},
    ).json()
    assert body["id"] == primary
    assert body["properties"]["hs_merged_object_ids"] == secondary
    assert body["properties"]["phone"] == "+32 2 555 00 00"
    assert body["properties"]["hs_additional_emails"]
    assert secondary_company in hub.store.associated("contacts", primary, "companies")
    assert_error(
        api("POST", "/crm/v3/objects/contacts/merge", json={"primaryObjectId": primary, "objectIdToMerge": secondary}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        api("POST", "/crm/v3/objects/contacts/merge", json={"primaryObjectId": primary, "objectIdToMerge": "999999"}),
        404,
        "OBJECT_NOT_FOUND",
    )


# -- webhooks ------------------------------------------------------------------------------------------------
def expected_signature(secret, method, uri, body, timestamp):
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_user_edit_fires_signed_property_change(hub, receiver):
    hub.webhook_target_url = receiver.url
    contact_id = contact_ids(hub)[0]
    hub.update_object("contacts", contact_id, {"firstname": "Zoe", "lastname": "Q"})
    call = receiver.wait_for(1)[0]
    headers = call["headers"]
    timestamp = headers["X-HubSpot-Request-Timestamp"]
    assert headers["X-HubSpot-Signature-v3"] == expected_signature(
        "sandbox-hubspot-client-secret", "POST", receiver.url, call["body"], timestamp
    )
    events = json.loads(call["body"])
    assert [(e["subscriptionType"], e["propertyName"], e["propertyValue"]) for e in events] == [
        ("contact.propertyChange", "firstname", "Zoe"),
        ("contact.propertyChange", "lastname", "Q"),
    ]
    assert events[0]["objectId"] == int(contact_id) and events[0]["changeSource"] == "CRM_UI"
    assert events[0]["portalId"] == hub.portal_id


def test_api_changes_and_merges_fire_events(api, hub, receiver):
    hub.webhook_target_url = receiver.url
    created = api("POST", "/crm/v3/objects/companies", json={"properties": {"name": "Hooked"}}).json()
    primary, secondary = contact_ids(hub)[:2]
    hub.merge_objects("contacts", primary, secondary)
    calls = receiver.wait_for(2)
    # Up to 10 deliveries are in flight at once: HubSpot does not promise the order of its notifications.
    events = {event["subscriptionType"]: event for call in calls for event in json.loads(call["body"])}
    creation = events["company.creation"]
    assert creation["objectId"] == int(created["id"])
    assert creation["changeSource"] == "INTEGRATION"
    merge = events["contact.merge"]
    assert merge["subscriptionType"] == "contact.merge" and merge["mergedObjectIds"] == [int(secondary)]


def test_hubspot_bad_hmac_and_duplicates(hub, receiver):
    hub.webhook_target_url = receiver.url
    hub.faults.set(bad_hmac=True, duplicate_webhooks=True)
    hub.update_object("contacts", contact_ids(hub)[0], {"firstname": "Bad"})
    calls = receiver.wait_for(2)
    assert calls[0]["body"] == calls[1]["body"]
    headers = calls[0]["headers"]
    assert headers["X-HubSpot-Signature-v3"] != expected_signature(
        hub.client_secret, "POST", receiver.url, calls[0]["body"], headers["X-HubSpot-Request-Timestamp"]
    )


def test_oauth_install_refresh_and_introspection(hub):
    """developers.hubspot.com, "Working with OAuth" and the 2026-03 OAuth tokens API: the install redirect
    carries code and state; POST /oauth/2026-03/token exchanges the code and renews with the refresh
    token (every parameter in the form body); introspection lists the scopes; errors carry both RFC 6749's
    error and HubSpot's status."""
    from urllib.parse import parse_qsl, urlsplit

    consent = requests.get(hub.url + "/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": hub.oauth.client_id, "scope": "oauth crm.objects.contacts.read",
        "redirect_uri": "https://odoo.example/cb", "state": "s1"})
    assert consent.status_code == 302
    query = dict(parse_qsl(urlsplit(consent.headers["Location"]).query))
    assert query["state"] == "s1"
    credentials = {"client_id": hub.oauth.client_id, "client_secret": hub.oauth.client_secret}
    tokens = requests.post(hub.url + "/oauth/2026-03/token", timeout=10, data=dict(
        credentials, grant_type="authorization_code", code=query["code"], redirect_uri="https://odoo.example/cb")).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1800
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert requests.get(hub.url + "/crm/v3/objects/contacts", headers=headers, timeout=10).status_code == 200
    renewed = requests.post(hub.url + "/oauth/2026-03/token", timeout=10, data=dict(
        credentials, grant_type="refresh_token", refresh_token=tokens["refresh_token"])).json()
    assert renewed["access_token"] != tokens["access_token"]
    info = requests.post(hub.url + "/oauth/2026-03/token/introspect", timeout=10,
                         data=dict(credentials, token=renewed["access_token"])).json()
    assert info["active"] is True and "crm.objects.contacts.write" in info["scopes"]
    refused = requests.post(hub.url + "/oauth/2026-03/token", timeout=10, data=dict(
        credentials, grant_type="refresh_token", refresh_token="unknown"))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant" and refused.json()["status"] == "BAD_REFRESH_TOKEN"
    hub.oauth.expire_all()
    assert requests.get(hub.url + "/crm/v3/objects/contacts", headers=headers, timeout=10).status_code == 401


def test_private_app_token_info_and_calls_outside_the_scopes(hub):
    """developers.hubspot.com/docs/api/private-apps: POST /oauth/v2/private-apps/get/access-token-info with the
    token as tokenKey tells its account and scopes. A call outside the scopes is refused with 403, category
    MISSING_SCOPES and the scope in errors[].context.requiredGranularScopes (each object API's reference lists
    its read and write scopes: developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/
    scopes)."""
    info = requests.post(hub.url + "/oauth/v2/private-apps/get/access-token-info", json={"tokenKey": hub.token},
                         timeout=10)
    assert info.status_code == 200
    assert info.json()["hubId"] == hub.portal_id and "crm.objects.contacts.write" in info.json()["scopes"]
    assert "oauth" not in info.json()["scopes"]
    assert requests.post(hub.url + "/oauth/v2/private-apps/get/access-token-info", json={"tokenKey": "pat-other"},
                         timeout=10).status_code == 400
    contacts_before = len(hub.store.objects["contacts"])
    hub.private_app_scopes.remove("crm.objects.contacts.write")
    headers = {"Authorization": "Bearer " + hub.token}
    assert requests.get(hub.url + "/crm/v3/objects/contacts", headers=headers, timeout=10).status_code == 200
    refused = requests.post(hub.url + "/crm/v3/objects/contacts/batch/create", headers=headers, timeout=10,
                            json={"inputs": [{"properties": {"email": "new@example.com"}}]})
    assert refused.status_code == 403
    body = refused.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]
    read = requests.post(hub.url + "/crm/v3/objects/contacts/batch/read", headers=headers, timeout=10,
                         json={"inputs": []})
    assert read.status_code != 403, "a batch read needs the read scope only"
    assert len(hub.store.objects["contacts"]) == contacts_before, "nothing was created"


def test_a_privacy_deletion_sends_its_event_and_the_ordinary_deletion(hub, receiver):
    """developers.hubspot.com changelog, "Webhooks now support privacy-compliant contact deletions": the
    contact.privacyDeletion event also triggers the normal deletion event; the contact is gone for good."""
    hub.webhook_target_url = receiver.url
    contact_id = contact_ids(hub)[0]
    hub.privacy_delete_contact(contact_id)
    calls = receiver.wait_for(2)
    kinds = sorted(event["subscriptionType"] for call in calls for event in json.loads(call["body"]))
    assert kinds == ["contact.deletion", "contact.privacyDeletion"]
    assert all(event["objectId"] == int(contact_id) for call in calls for event in json.loads(call["body"]))
    assert contact_id not in hub.store.objects["contacts"]
