"""The tool's errors and exit codes (one code per kind of failure, documented in docs/bidder-tool.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug: an unexpected exception
EXIT_USAGE = 2  # bad command line (argparse)
EXIT_INPUT = 3  # a local file, certificate, key or option is missing or wrong; output not writable
EXIT_VERIFY = 4  # a verification failed: receipt signature or hash, content key commitment
EXIT_REFUSED = 5  # the server refused the request (4xx with a code and a message)
EXIT_UNAVAILABLE = 6  # the server could not be reached or kept failing after the retries (re-run to resume)


class BidderError(Exception):
    """A failure with a clear message; ``exit_code`` tells the shell what kind."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class InputError(BidderError):
    exit_code = EXIT_INPUT


class VerificationError(BidderError):
    exit_code = EXIT_VERIFY


class ServerRefused(BidderError):
    """A 4xx answer: ``code`` and ``message`` as the server gave them, ``status`` the HTTP status."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, *, code: str = "refused", status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status


class ServerUnavailable(BidderError):
    exit_code = EXIT_UNAVAILABLE
