"""OrderHub core: the canonical model, the plugin API and pure domain logic (no I/O)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderhub-core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
