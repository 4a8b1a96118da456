"""authdoctor: explains why an OAuth 2.0 / bearer-token API answered 401 or 403."""

__version__ = "0.1.0"
