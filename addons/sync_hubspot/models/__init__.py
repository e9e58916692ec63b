from . import sync_hubspot_stage
from . import sync_backend
from . import sync_backend_partner
from . import sync_backend_deal
from . import sync_backend_poll
from . import res_partner
from . import res_users
from . import sale_order
