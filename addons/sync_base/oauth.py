"""The end of an OAuth install, shared by the connectors' callback routes."""

import logging

from markupsafe import Markup, escape
from odoo import _
from odoo.exceptions import UserError
from odoo.http import request

from .exceptions import SyncError

_logger = logging.getLogger(__name__)


def finish_install(finish, params, platform):
    """Run ``finish(params)`` (it returns the connected backend) and answer the browser: the backend's
    form, or a page saying what went wrong. An error is answered, not raised: the spent state must be
    committed, so that the same link never connects twice."""
    try:
        backend = finish(params)
    except (UserError, SyncError) as error:
        message = error.args[0] if isinstance(error, UserError) else error.message
        _logger.warning("%s authorization refused: %s", platform, message)
        body = Markup("<h1>%s</h1><p>%s</p>") % (_("%s was not connected", platform), escape(message))
        return request.make_response(body, status=400, headers=[("Content-Type", "text/html; charset=utf-8")])
    return request.redirect("/web#id=%d&model=sync.backend&view_type=form" % backend.id)
