"""``python -m wharf.registry.server``: see :mod:`wharf.registry.server.main`."""

import sys

from wharf.registry.server.main import main

sys.exit(main())
