from . import test_documents
from . import test_connection
