"""``python -m wharf.runtime.shim [--notify-fd N] <container-dir>``."""

import sys

from wharf.runtime.shim.main import main

sys.exit(main())
