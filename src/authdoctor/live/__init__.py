"""The live face: the mitmproxy addon and its token content view, for the entry script in
addons/ (which loads both) and the command line (which loads the addon's imports anyway).
Modules inside live/ import from their siblings, never from here."""

from authdoctor.live.addon import AuthDoctor
from authdoctor.live.content_view import register_jwt_view
from authdoctor.live.content_view import render_token_view

__all__ = ["AuthDoctor", "register_jwt_view", "render_token_view"]
