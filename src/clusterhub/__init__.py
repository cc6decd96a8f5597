"""clusterhub: cluster intelligence (the observatory) and cluster collaboration in one platform.

The public API is curated here; layers below (``classify``, ``stats``) export their own.
"""

from clusterhub.errors import ClusterhubError, DataSourceError, InvalidInput, NotFound

__version__ = "0.1.0"

__all__ = ["ClusterhubError", "DataSourceError", "InvalidInput", "NotFound", "__version__"]
