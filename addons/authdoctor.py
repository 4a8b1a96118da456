"""mitmproxy entry point: mitmweb -s addons/authdoctor.py --set authdoctor_profile=company-x"""

import sys
from pathlib import Path

# mitmproxy puts this script's folder first on sys.path, so `import authdoctor` would find this
# very file; in a checkout, make src/ win (the one justified path tweak).
# An editable install already lists src/, but behind this folder: move it to the front.
_src = Path(__file__).resolve().parent.parent / "src"
if (_src / "authdoctor").is_dir():
    if str(_src) in sys.path:
        sys.path.remove(str(_src))
    sys.path.insert(0, str(_src))

from authdoctor.live import AuthDoctor  # noqa: E402
from authdoctor.live import register_jwt_view  # noqa: E402

register_jwt_view()
addons = [AuthDoctor()]
