import base64
import hashlib
import time

import requests
from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncNetworkError, SyncRemoteError, SyncValidationError

from . import shopify_documents as docs
from .shopify_image import ImageRejected, normalise_image


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _shopify_images_of(self, template):
        """``[(key, base64 image, label)]``: the main image, then the extra ones when website_sale adds them."""
        images = [("main", template.image_1920, template.name)] if template.image_1920 else []
        extras = template["product_template_image_ids"] if "product_template_image_ids" in template._fields else []
        for extra in extras:
            if extra.image_1920:
                images.append((f"extra_{extra.id}", extra.image_1920, extra.name or template.name))
        return images

    def _shopify_run_image_export(self, job):
        """Upload the product's new or changed images; the same image is never sent twice."""
        self._require_scopes("products")
        template = self.env["product.template"].with_context(active_test=False).browse(job.res_id).exists()
        Binding = self.env["sync.binding"].sudo()
        product_binding = template and Binding._find(self, "product", record=template)
        if not product_binding:
            return _("The product is not in Shopify yet: its images go after its first export.")
        client = self._shopify_client()
        sent = skipped = 0
        for key, image_b64, label in self._shopify_images_of(template):
            raw = base64.b64decode(image_b64)
            digest = hashlib.sha256(raw).hexdigest()
            media_type = f"image_{key}"
            binding = Binding._find(self, media_type, record=template)
            if binding.sync_hash == digest:
                skipped += 1
                continue
            try:
                data, mime, ext = normalise_image(raw)
            except ImageRejected as error:
                raise SyncValidationError(
                    _("The image of %(product)s cannot be read (%(reason)s). Upload a JPEG or PNG in Odoo, "
                      "then retry.", product=template.display_name, reason=error)
                ) from error
            media_gid = self._shopify_upload_image(
                client, product_binding.external_id, (data, mime, f"{template.id}-{key}.{ext}"), label
            )
            if media_gid is None:
                return _("Dry run: the upload request was recorded, nothing was sent.")
            binding = Binding._bind(self, media_type, template, media_gid)
            binding.sync_hash = digest
            sent += 1
        return _("%(sent)s images sent, %(skipped)s unchanged.", sent=sent, skipped=skipped)

    def _shopify_upload_image(self, client, product_gid, image, alt):
        data, mime, filename = image
        staged = client.execute(
            docs.STAGED_UPLOADS_CREATE,
            {"input": [{"resource": "IMAGE", "filename": filename, "mimeType": mime, "httpMethod": "POST",
                        "fileSize": str(len(data))}]},
            operation="image_stage", write=True,
        )
        if staged is None:
            return None
        result = staged["stagedUploadsCreate"]
        if result["userErrors"]:
            raise SyncValidationError(_("Shopify refused the image upload of %(file)s: %(errors)s", file=filename,
                                        errors=self._shopify_user_errors(result["userErrors"])))
        target = result["stagedTargets"][0]
        self._shopify_post_file(target, data, mime, filename)
        media = client.execute(
            docs.PRODUCT_CREATE_MEDIA,
            {"productId": product_gid,
             "media": [{"originalSource": target["resourceUrl"], "mediaContentType": "IMAGE", "alt": alt}]},
            operation="image_attach", write=True,
        )["productCreateMedia"]
        if media["mediaUserErrors"]:
            raise SyncValidationError(_("Shopify refused the image %(file)s: %(errors)s", file=filename,
                                        errors=self._shopify_user_errors(media["mediaUserErrors"])))
        return media["media"][0]["id"]

    def _shopify_post_file(self, target, data, mime, filename):
        """Multipart POST to the staged target (cloud storage, not the Admin API).

        Sent outside ``_http`` because the body is binary; the exchange log gets the
        request without the file.
        """
        fields_ = {parameter["name"]: parameter["value"] for parameter in target["parameters"]}
        started = time.monotonic()
        log = {"backend_id": self.id, "operation": "image_upload", "method": "POST", "url": self._redact(target["url"]),
               "request_body": _("(%(size)s bytes of %(mime)s, not stored)", size=len(data), mime=mime)}
        try:
            response = self._http_session().post(target["url"], data=fields_, files={"file": (filename, data, mime)},
                                                 timeout=self.request_timeout or 30)
        except requests.RequestException as error:
            self._log_exchange(dict(log, error=str(error), duration_ms=int((time.monotonic() - started) * 1000)))
            raise SyncNetworkError(_("Could not upload %(file)s: %(error)s", file=filename, error=error)) from error
        self._log_exchange(dict(log, status_code=response.status_code, response_body=response.text[:2000],
                                duration_ms=int((time.monotonic() - started) * 1000)))
        if response.status_code >= 400:
            raise SyncRemoteError(_("The image store refused %(file)s (HTTP %(status)s); the job will be retried.",
                                    file=filename, status=response.status_code))
