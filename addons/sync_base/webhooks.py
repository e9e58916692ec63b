"""What every webhook endpoint of the suite does before trusting a delivery."""

from werkzeug.exceptions import RequestEntityTooLarge

# Shopify and HubSpot deliveries are a few kilobytes; anything near this is not one of
# theirs, and reading it whole would let anyone tie up a worker's memory.
MAX_BODY_BYTES = 1024 * 1024


def read_body(httprequest, limit=MAX_BODY_BYTES):
    """The raw request body, or ``None`` when it is larger than ``limit``.

    An announced length over the limit is refused before reading; a body sent
    without one is cut off by werkzeug at the limit rather than loaded whole.
    """
    if (httprequest.content_length or 0) > limit:
        return None
    httprequest.max_content_length = limit
    try:
        return httprequest.get_data()
    except RequestEntityTooLarge:
        return None
