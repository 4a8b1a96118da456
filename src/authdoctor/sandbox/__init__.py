"""A built-in Company X API (authorization server + REST API) for end-to-end tests and demos.

It behaves like the real api.xxx.com / api.staging.xxx.com: RS256 tokens from an RFC 6749
token endpoint, and strict RFC 6750 bearer validation with the runbook's error bodies.
"""

from authdoctor.sandbox.app import DEMO_CLIENT_ID
from authdoctor.sandbox.app import DEMO_CLIENT_SCOPES
from authdoctor.sandbox.app import DEMO_CLIENT_SECRET
from authdoctor.sandbox.app import Sandbox

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SCOPES", "DEMO_CLIENT_SECRET", "Sandbox"]
