from . import sync_bound_mixin
from . import sync_backend
from . import sync_binding
from . import sync_exchange
from . import sync_job
from . import res_partner
