"""Errors a sync handler raises to tell the queue what kind of failure happened.

The queue decides from the class alone whether a job is retried later (the remote
side may recover) or parked in the failure inbox for a person. Handlers should
raise the most precise class they can, with a message written for staff: what
failed, on which record, and what to do next.
"""


class SyncError(Exception):
    """Base class. ``failure_type`` is a value of ``sync.job.failure_type``."""

    failure_type = "bug"
    retryable = False

    def __init__(self, message, *, retry_after=None, exchange=None, status_code=None):
        super().__init__(message)
        self.message = message
        # Seconds the remote side asked us to wait (Retry-After, throttle status).
        self.retry_after = retry_after
        # The exchange log entry: its values while a job runs (written after the job's
        # savepoint), the sync.exchange record otherwise. Read ``status_code`` instead.
        self.exchange = exchange
        # HTTP status of the answer that caused the error, None when there was none.
        self.status_code = status_code


class SyncAuthError(SyncError):
    """The credentials were refused: retrying will not help until someone fixes them."""

    failure_type = "auth"


class SyncRateLimitError(SyncError):
    failure_type = "rate_limit"
    retryable = True


class SyncNetworkError(SyncError):
    """Timeouts, refused or dropped connections: the remote side may be back soon."""

    failure_type = "network"
    retryable = True


class SyncRemoteError(SyncError):
    """A 5xx answer: the remote system failed on its side."""

    failure_type = "remote"
    retryable = True


class SyncValidationError(SyncError):
    """The data is not acceptable (ours or theirs): a person must correct it."""

    failure_type = "validation"


class SyncMappingError(SyncError):
    """Something has no counterpart on the other side (unknown SKU, unmapped tax...)."""

    failure_type = "mapping"


class SyncConflictError(SyncError):
    """Two systems disagree on a value and the ownership map asks a person to decide."""

    failure_type = "conflict"
