"""Errors a user can act on: the CLI prints them as one line and exits with code 2, without a traceback."""


class SegbenchError(Exception):
    """A problem with the user's input (config, files, arguments), stated as one line."""


class ConfigError(SegbenchError):
    """A config file or override that cannot be used."""


class DataError(SegbenchError):
    """A dataset sample or folder that cannot be read."""
