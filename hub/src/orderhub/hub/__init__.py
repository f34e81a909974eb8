"""OrderHub hub: API, webhook intake, worker, store and CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderhub")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"
