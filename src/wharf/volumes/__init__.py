"""Docker volumes on this host: the ``local`` driver (a directory under the data root, or a
filesystem mounted there from ``--opt type/device/o``). A lower package: it imports only
``core`` and ``lib``; the volume service reaches it through a Protocol."""
