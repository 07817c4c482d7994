"""``python -m wharf.runtime.shim [--notify-fd N] <container-dir>``."""

import sys

from wharf.runtime.oci.sealedexe import reexec_sealed
from wharf.runtime.shim.main import main

reexec_sealed()  # CVE-2019-5736: the container processes it forks run from a sealed exe
sys.exit(main())
