import base64
import io

from odoo.addons.sync_shopify.models.shopify_image import ImageRejected, normalise_image
from odoo.tests import TransactionCase, tagged
from PIL import Image

from .common import ShopifyCase


def image_bytes(size=(40, 20), mode="RGB", fmt="JPEG", orientation=None, color=(200, 10, 10)):
    image = Image.new(mode, size, color if mode != "RGBA" else (*color, 100))
    buffer = io.BytesIO()
    options = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestImageNormalisation(TransactionCase):
    def test_exif_orientation_is_applied(self):
        data, mime, _ext = normalise_image(image_bytes(size=(40, 20), orientation=6))
        self.assertEqual(mime, "image/jpeg")
        self.assertEqual(Image.open(io.BytesIO(data)).size, (20, 40))

    def test_alpha_is_kept_as_png(self):
        data, mime, ext = normalise_image(image_bytes(mode="RGBA", fmt="PNG"))
        self.assertEqual((mime, ext), ("image/png", "png"))
        self.assertEqual(Image.open(io.BytesIO(data)).mode, "RGBA")

    def test_cmyk_becomes_rgb_jpeg(self):
        data, mime, _ext = normalise_image(image_bytes(mode="CMYK", color=(0, 50, 50, 0)))
        self.assertEqual(mime, "image/jpeg")
        self.assertEqual(Image.open(io.BytesIO(data)).mode, "RGB")

    def test_size_limits(self):
        data, _mime, _ext = normalise_image(image_bytes(size=(300, 100)), max_side=120)
        self.assertEqual(Image.open(io.BytesIO(data)).size, (120, 40))
        noisy = Image.effect_noise((400, 400), 100).convert("RGB")
        buffer = io.BytesIO()
        noisy.save(buffer, "PNG")
        data, _mime, _ext = normalise_image(buffer.getvalue(), max_bytes=20_000)
        self.assertLessEqual(len(data), 20_000)

    def test_corrupt_image_is_rejected(self):
        with self.assertRaises(ImageRejected):
            normalise_image(b"definitely not an image")


@tagged("post_install", "-at_install")
class TestImageExport(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # sync_base's defaults leave storefront images to Shopify; this store takes Odoo's.
        cls.env["sync.field.rule"].create({
            "model_name": "product.template", "field_name": "image_1920", "backend_id": cls.backend.id,
            "owner": "odoo", "readers": "shopify", "external_field": "media",
        })
        cls.backend.shopify_schedule_images = "realtime"

    def test_upload_then_skip_unchanged(self):
        template = self.make_template(image_1920=base64.b64encode(image_bytes()))
        self.run_queue()
        self.run_queue()  # the image job runs once the product exists
        product = self.shopify_product(template)
        self.assertEqual(len(product["_media_ids"]), 1)
        self.assertEqual(len(self.shop.store.uploads), 1)
        names = [r.get("operation_name") for r in self.writes()]
        self.assertIn("StagedUploads", names)
        self.assertIn("ProductCreateMedia", names)
        self.shop.requests.clear()
        self.backend._enqueue("image_export", record=template, category="catalogue")
        self.run_queue()
        self.assertFalse(self.writes(), "the same image is not sent twice")
        self.assertIn("1 unchanged", self.jobs("image_export").sorted("id")[-1].result)

    def test_corrupt_image_fails_only_its_product(self):
        good = self.make_template(name="Good", code="G-1", image_1920=base64.b64encode(image_bytes()))
        bad = self.make_template(name="Bad", code="B-1", image_1920=base64.b64encode(image_bytes()))
        self.run_queue()
        # Odoo refuses corrupt images through the form; an old or imported attachment can still be one.
        attachment = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "product.template"), ("res_field", "=", "image_1920"), ("res_id", "=", bad.id),
        ])
        attachment.raw = b"\x89PNG broken"
        bad.invalidate_recordset(["image_1920"])
        for template in good | bad:  # as the nightly run does
            self.backend._enqueue("image_export", record=template, category="catalogue")
        self.run_queue()
        jobs = self.jobs("image_export").sorted("id")[-2:]
        failed = jobs.filtered(lambda job: job.res_id == bad.id)
        self.assertEqual(failed.state, "failed")
        self.assertEqual(failed.failure_type, "validation")
        self.assertIn("Bad", failed.failure_reason)
        self.assertIn("cannot be read", failed.failure_reason)
        self.assertEqual(jobs.filtered(lambda job: job.res_id == good.id).state, "done")
        self.assertEqual(len(self.shopify_product(good)["_media_ids"]), 1)
