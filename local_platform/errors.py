"""What the local platform's servers raise."""


class PlatformError(Exception):
    """A server of the local platform could not do what was asked."""


class Unavailable(PlatformError):
    """This machine lacks what a server needs: a binary, an Odoo tree or its
    Python environment (``make setup`` provides them)."""


class ServerFailed(PlatformError):
    """A server did not start in time, exited, or refused a command; the
    message says which, with the end of its log when it has one."""
