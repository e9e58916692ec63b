"""Checks of the contacts and companies HubSpot sends, before anything is written in Odoo.

HubSpot hands every property over as a text (or null). Anything else, an
unreadable modification time or merged ids that are not ids, is refused with
every problem named, so that the failed job tells staff what to correct.
"""

from odoo.addons.sync_base.payload import Problems, quote


def object_problems(env, data):
    problems = Problems(env)
    problems.text(str(data.get("id") or ""), "id", required=True)
    if data.get("updatedAt") is not None:
        problems.timestamp(data["updatedAt"], "updatedAt")
    properties = data.get("properties")
    if not problems.object(properties, "properties"):
        return problems
    for name, value in sorted(properties.items()):
        problems.text(value, name)
    merged = properties.get("hs_merged_object_ids")
    if isinstance(merged, str) and not all(part.isdigit() for part in merged.split(";") if part):
        problems.append(env._("hs_merged_object_ids is %(value)s, not a list of record ids separated by ';'",
                              value=quote(merged)))
    return problems


def check_object(env, otype, data):
    """Raise a validation failure listing every problem of a HubSpot object; return it otherwise."""
    subject = env._("HubSpot %(type)s %(id)s", type=otype, id=quote(data.get("id")))
    object_problems(env, data).raise_if_any(subject, "HubSpot")
    return data
