"""An app installed by OAuth (shopify.dev, "Implement authorization code grant manually" and "About offline
access tokens"): Connect to Shopify, the consent redirect, the callback's checks (state used once, the query's
hmac, the shop hostname), expiring offline tokens renewed with their refresh token, which Shopify replaces."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from odoo.tests import HttpCase, new_test_user, tagged

from sandbox import ShopifySandbox
from sandbox.shopify_auth import query_hmac


@tagged("post_install", "-at_install")
class TestShopifyOAuth(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = ShopifySandbox(5, customers=0, seed=1).start(host="127.0.0.1", port=0)
        cls.addClassCleanup(cls.shop.stop)
        cls.backend = cls.env["sync.backend"].create({
            "name": "OAuth store", "code": "shopify", "api_url": cls.shop.url,
            "shopify_shop_domain": cls.shop.shop_domain, "shopify_auth_method": "authorization_code",
            "shopify_client_id": cls.shop.auth.client_id, "shopify_client_secret": cls.shop.auth.client_secret,
            "retry_jitter": 0.0,
        })
        cls.manager = new_test_user(cls.env, login="oauth_manager",
                                    groups="base.group_user,sync_base.group_sync_manager")

    def setUp(self):
        super().setUp()
        self.shop.reset()
        self.backend._tokens.clear()
        self.authenticate("oauth_manager", "oauth_manager")

    def consent(self):
        """Press Connect to Shopify and follow the consent screen: Shopify's redirect to the callback."""
        action = self.backend.with_user(self.manager).action_shopify_connect()
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302)
        return consent.headers["Location"]

    def callback(self, location):
        parts = urlsplit(location)
        response = self.url_open("%s?%s" % (parts.path, parts.query), allow_redirects=False)
        self.env.invalidate_all()  # the callback wrote in the server's thread
        return response

    def token(self):
        return self.env["sync.backend.token"].sudo().search([("backend_id", "=", self.backend.id)])

    def test_connect_to_shopify_installs_with_an_expiring_token_and_its_refresh_token(self):
        location = self.consent()
        self.assertTrue(location.startswith(self.base_url() + "/sync_shopify/oauth/callback?"))
        response = self.callback(location)
        self.assertEqual(response.status_code, 303, response.text)
        token = self.token()
        self.assertTrue(token.access_token.startswith("shpat_") and token.refresh_token.startswith("shprt_"))
        self.assertEqual(self.backend.state, "connected")
        self.assertIn("write_products", self.backend.granted_scopes)
        self.assertTrue(self.shop.auth.valid(token.access_token))

    def test_expired_token_is_renewed_with_its_refresh_token_which_rotates(self):
        self.callback(self.consent())
        first_refresh = self.token().refresh_token
        self.shop.auth.expire_all()  # the 60 minutes are over
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "connected")
        self.env.invalidate_all()  # renewed in a cursor of its own
        token = self.token()
        self.assertNotEqual(token.refresh_token, first_refresh, "Shopify replaces the refresh token")
        self.assertEqual(len(self.shop.auth.grants), 2)
        # Once the new token is used, the old refresh token no longer works (shopify.dev changelog, 2026-08-28).
        self.assertNotIn(first_refresh, self.shop.auth.refresh_tokens)

    def test_a_replayed_callback_is_refused(self):
        location = self.consent()
        self.assertEqual(self.callback(location).status_code, 303)
        replay = self.callback(location)
        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.assertEqual(len(self.shop.auth.grants), 1)

    def test_a_callback_with_a_bad_hmac_connects_nothing(self):
        parts = urlsplit(self.consent())
        params = dict(parse_qsl(parts.query))
        params["hmac"] = "0" * 64
        response = self.callback("%s?%s" % (parts.path, urlencode(params)))
        self.assertEqual(response.status_code, 400)
        self.assertIn("signature", response.text)
        self.assertFalse(self.token())
        # The state was spent: the genuine redirect cannot be used after a forged one.
        self.assertFalse(self.backend.sudo().oauth_state)

    def test_another_shop_is_refused_even_when_signed(self):
        parts = urlsplit(self.consent())
        params = dict(parse_qsl(parts.query))
        params["shop"] = "someone-else.myshopify.com"
        params["hmac"] = query_hmac(params, self.shop.auth.client_secret)
        response = self.callback("%s?%s" % (parts.path, urlencode(params)))
        self.assertEqual(response.status_code, 400)
        self.assertIn("someone-else.myshopify.com", response.text)
        self.assertFalse(self.token())

    def test_secrets_of_the_install_stay_out_of_the_exchange_log(self):
        self.callback(self.consent())
        token = self.token()
        exchanges = self.env["sync.exchange"].sudo().search([("backend_id", "=", self.backend.id)])
        self.assertTrue(exchanges)
        for exchange in exchanges:
            logged = str(exchange.read(["url", "request_headers", "request_body", "response_body"]))
            for secret in (self.shop.auth.client_secret, token.access_token, token.refresh_token):
                self.assertNotIn(secret, logged)
