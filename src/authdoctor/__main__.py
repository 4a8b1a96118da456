"""python -m authdoctor"""

import sys

from authdoctor.cli import main

sys.exit(main())
