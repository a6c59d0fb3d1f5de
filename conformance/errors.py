"""Errors a user can act on. Each renders as one paragraph that names the
file, line or setting at fault; the plugin shows it instead of a traceback."""


class ConformanceError(Exception):
    """Bad input or environment: a scenario file, an option, an SDK version, a port."""

    def __init__(self, message: str, *, where: str = ""):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class ScenarioFormatError(ConformanceError):
    """A scenario file the schema (or the loader) rejects."""


class DriverError(Exception):
    """A driver or harness problem: the test is an error, never a pass or a fail."""

    def __init__(self, message: str, *, stderr_tail: str = ""):
        self.stderr_tail = stderr_tail
        super().__init__(message)


class ServerUnavailable(Exception):
    """The server profile a scenario needs cannot exist here (e.g. port taken): a skip."""


class ServerStartError(Exception):
    """A server that should have started did not, or died: the tests needing it are errors."""

    def __init__(self, message: str, *, log_tail: str = "", crashed: bool = False):
        self.log_tail = log_tail
        self.crashed = crashed  # it died by itself during start-up (servers/embedded.py worth_another_start)
        super().__init__(message)
