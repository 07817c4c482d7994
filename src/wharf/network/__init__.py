"""Container networking (issue 8): address management, the firewall, port publishing and the
embedded DNS responder. A lower package: it imports only ``core`` and ``lib``."""
