"""python -m authdoctor"""

import sys

from authdoctor.cli.main import main

sys.exit(main())
