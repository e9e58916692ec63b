from . import test_binding, test_concurrency, test_queue, test_security, test_tour
from . import test_ownership, test_ownership_tour, test_ownership_transfer
