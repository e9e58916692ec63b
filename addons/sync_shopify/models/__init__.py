from . import sync_shopify_location
from . import sync_shopify_stock
from . import sync_backend
from . import sync_backend_catalogue
from . import sync_backend_stock
from . import sync_backend_media
from . import product
from . import stock_quant
