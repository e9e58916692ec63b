from odoo.tests import TransactionCase

from sandbox import HubSpotSandbox


def start_sandbox(case_class, **options):
    """A HubSpot sandbox on a free local port, stopped when the class is done."""
    options = {"contacts": 3, "companies": 2, "deals": 0, "rate_limit": 1000, **options}
    hub = HubSpotSandbox(seed=1, **options).start(host="127.0.0.1", port=0)
    case_class.addClassCleanup(hub.stop)
    return hub


def create_backend(env, hub, **values):
    return env["sync.backend"].create({
        "name": "HubSpot test",
        "code": "hubspot",
        "api_url": hub.url,
        "api_token": hub.token,
        "webhook_secret": hub.client_secret,
        "retry_jitter": 0.0,
        "retry_base_delay": 30,
        "max_attempts": 3,
        "restrict_heavy_to_window": False,
        **values,
    })


class HubSpotCase(TransactionCase):
    """A connected HubSpot backend on a fresh sandbox for every test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = start_sandbox(cls)
        cls.backend = create_backend(cls.env, cls.hub)
        cls.Job = cls.env["sync.job"]
        cls.Binding = cls.env["sync.binding"]

    def setUp(self):
        super().setUp()
        self.hub.reset()
        self.hub.webhook_target_url = None
        self.backend._hubspot_setup()
        self.backend.state = "connected"
        self.hub.requests.clear()

    def run_queue(self):
        return self.Job._process_queue(backends=self.backend, commit=False)

    def customer(self, name, **values):
        return self.env["res.partner"].create({"name": name, "customer_rank": 1, **values})

    def hub_object(self, otype, partner):
        binding = self.Binding._find(self.backend, otype, record=partner)
        self.assertTrue(binding, f"{partner.name} should be linked to a HubSpot {otype}")
        return self.hub.store.get(otype, binding.external_id)

    def jobs(self, operation):
        return self.Job.search([("backend_id", "=", self.backend.id), ("operation", "=", operation)])
