import calendar
import json
import time

from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncRateLimitError

from .sync_backend_partner import MODIFIED, parse_hubspot_datetime

# HubSpot's search returns at most this many results for one query, whatever the paging.
SEARCH_RESULT_CAP = 10000
SEARCH_PAGE = 100
IMPORT_OPERATIONS = {"contacts": "contact_import", "companies": "company_import", "deals": "deal_import"}
# A search page refused by the per-second limit is asked again this many times, after waiting at most
# this long; a longer wait (the 10-second or daily budget) fails the job, which is retried later.
SEARCH_RETRIES = 3
SEARCH_WAIT_MAX = 2


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _hubspot_run_poll(self, job):
        """Queue imports of what changed in HubSpot since the last poll, for what webhooks missed."""
        self._require_scopes("customers")
        state = json.loads(self.hubspot_poll_state or "{}")
        # Deals are polled when the app may read them: an account synced for its customers only still
        # gets their changes.
        otypes = [otype for otype in IMPORT_OPERATIONS if otype != "deals" or "deals" not in self._missing_scopes()]
        counts = {otype: self._hubspot_poll_type(otype, state) for otype in otypes}
        self.hubspot_poll_state = json.dumps(state)
        return _("Changes queued: %s", ", ".join(f"{otype} {count}" for otype, count in counts.items()))

    def _hubspot_poll_type(self, otype, state, now_ms=None):
        key = MODIFIED[otype]
        now_ms = now_ms or int(time.time() * 1000)
        # Overlap: a write HubSpot indexed late still has a modification time before our last poll.
        start = (state.get(otype) or now_ms) - self.hubspot_poll_overlap * 1000
        newest, after, queued = state.get(otype) or start, 0, 0
        while True:
            page = self._hubspot_search_page(otype, {
                "filterGroups": [{"filters": [{"propertyName": key, "operator": "GTE", "value": str(start)}]}],
                "sorts": [{"propertyName": key, "direction": "ASCENDING"}],
                "properties": [key], "limit": SEARCH_PAGE, "after": after,
            })
            for result in page.get("results", []):
                raw = result["properties"].get(key) or result.get("updatedAt")
                modified = parse_hubspot_datetime(raw, keep_ms=True)
                if modified:
                    newest = max(newest, calendar.timegm(modified.timetuple()) * 1000 + modified.microsecond // 1000)
                queued += self._hubspot_poll_enqueue(otype, str(result["id"]), modified)
            next_after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not next_after:
                break
            if int(next_after) + SEARCH_PAGE > SEARCH_RESULT_CAP:
                if newest <= start:
                    break  # more than 10,000 changes in the same millisecond: nothing left to move
                # Search stops at 10,000 results: start a new query from the newest change seen.
                start, after = newest, 0
                continue
            after = int(next_after)
        state[otype] = newest
        return queued

    def _hubspot_search_page(self, otype, body):
        """One page of a search. A per-second 429 (another worker searched meanwhile) is waited out here
        and the page asked again: raised, it would roll back every page the poll has read so far, and
        the retry would meet the same limit at the same page."""
        for attempt in range(SEARCH_RETRIES + 1):
            try:
                return self._hubspot_call(
                    "POST", f"/crm/v3/objects/{otype}/search", write=False, operation="poll", body=body
                )
            except SyncRateLimitError as error:
                wait = error.retry_after or 1
                if attempt == SEARCH_RETRIES or wait > SEARCH_WAIT_MAX:
                    raise
                time.sleep(wait)
        return {}

    def _hubspot_poll_enqueue(self, otype, hs_id, modified):
        binding = self.env["sync.binding"].sudo()._find(self, otype, external_id=hs_id)
        if binding and binding.external_updated_at and modified and modified.replace(microsecond=0) <= (
            binding.external_updated_at
        ):
            return 0  # already applied (webhook or previous poll)
        self._enqueue(IMPORT_OPERATIONS[otype], external_id=hs_id, direction="import",
                      category="order" if otype == "deals" else "customer")
        return 1
