from . import test_connection
from . import test_partner_export
from . import test_partner_import
from . import test_rate_limit
from . import test_webhook
from . import test_deal
from . import test_poll
from . import test_fuzz_contacts
