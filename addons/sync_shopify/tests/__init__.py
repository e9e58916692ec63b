from . import test_documents
from . import test_connection
from . import test_product_export
from . import test_ownership
from . import test_stock
from . import test_throttle
from . import test_images
from . import test_dry_run
