#!/usr/bin/env python3
"""Run Odoo's own test suites on a database where everything is installed, on the fully loaded registry.

Odoo runs a module's ``at_install`` tests while that module is being installed, before the modules
that depend on it are loaded: a stock test run that way never meets sync_shopify's hooks. Here the
registry is loaded with every installed module first, then the selected tests of both positions
(``at_install``, then ``post_install``) run on it, with the HTTP server up for the browser tours.

    python3 tests/odoo_core/run_suites.py --report failures.json --test-tags /stock,/sale \
        -- <odoo options: -d, --addons-path, --db_host ...>

Writes the count of tests run and, for each test that failed or errored, its id and the first line of
its error, to ``--report``.
Called by tests/run (see ``check_odoo_core_suites``), which compares the failures with
``known_failures.txt``.
"""

import argparse
import json
import sys
import threading


def recording_result(base):
    """An OdooTestResult that also keeps the id of each failed test (its module, class and method)."""

    class RecordingResult(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.failures_by_id = {}

        def _keep(self, test, err):
            target = getattr(test, "test_case", test)  # a subTest fails its test
            message = "%s: %s" % (err[0].__name__, str(err[1]).strip().splitlines()[0] if str(err[1]).strip() else "")
            self.failures_by_id.setdefault(target.id(), message[:200])

        def addError(self, test, err):
            self._keep(test, err)
            super().addError(test, err)

        def addFailure(self, test, err):
            self._keep(test, err)
            super().addFailure(test, err)

    return RecordingResult


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", required=True)
    parser.add_argument("--test-tags", required=True, help="Odoo's --test-tags: which tests to run")
    parser.add_argument("odoo_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    odoo_args = [arg for arg in args.odoo_args if arg != "--"]

    import odoo
    from odoo.modules import module as odoo_module
    from odoo.tests import loader
    from odoo.tests.result import OdooTestResult
    from odoo.tools import config

    config.parse_config([*odoo_args, "--max-cron-threads=0", "--workers=0"])
    database = config["db_name"]
    odoo.service.server.load_server_wide_modules()
    threading.current_thread().dbname = database
    # Loaded before test mode is on (which --test-tags turns on): in test mode, loading runs each
    # module's at_install tests on the registry as loaded so far (product's, before account adds
    # its required partner columns), which is what this runner avoids.
    registry = odoo.modules.registry.Registry.new(database)
    modules = sorted(registry._init_modules)
    config["test_enable"], config["test_tags"] = True, args.test_tags
    # As odoo.service.server.start() does: HttpCase finds the server's port through this global.
    server = odoo.service.server.server = odoo.service.server.ThreadedServer(odoo.http.root)
    server.start(stop=True)  # in test mode, this starts the HTTP server the tours need
    with registry.cursor() as cr:
        odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["ir.qweb"]._pregenerate_assets_bundles()

    result = recording_result(OdooTestResult)()
    odoo_module.current_test = True
    threading.current_thread().testing = True
    try:
        for position in ("at_install", "post_install"):
            loader.make_suite(modules, position)(result)
    finally:
        threading.current_thread().testing = False
        odoo_module.current_test = False
        server.stop()
    with open(args.report, "w", encoding="utf-8") as report:
        json.dump({"tests_run": result.testsRun, "failed": result.failures_by_id}, report, indent=1, sort_keys=True)
    print(f"[odoo_core] {result.testsRun} tests run, {len(result.failures_by_id)} failed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
