from . import sync_ownership_transfer
