from odoo.addons.sync_shopify.models.shopify_documents import DOCUMENTS
from odoo.tests import TransactionCase, tagged

from sandbox.shopify_schema import validate_document


@tagged("post_install", "-at_install")
class TestDocuments(TransactionCase):
    def test_every_document_is_valid_against_the_2026_04_schema(self):
        self.assertGreater(len(DOCUMENTS), 10)
        for name, document in DOCUMENTS.items():
            with self.subTest(document=name):
                self.assertEqual([error.message for error in validate_document(document)], [])
