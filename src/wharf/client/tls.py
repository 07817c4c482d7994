"""TLS for tcp endpoints; imported only when TLS is in use (``ssl`` is slow to import)."""

from __future__ import annotations

import os
import socket
import ssl

from wharf.client.hosts import TLSSettings


def client_context(settings: TLSSettings) -> ssl.SSLContext:
    """A context like docker's: verify against ``ca.pem`` when asked, present the client cert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.verify:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        if settings.ca_file and os.path.exists(settings.ca_file):
            context.load_verify_locations(settings.ca_file)
        else:
            context.load_default_certs()
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.cert_file and settings.key_file and os.path.exists(settings.cert_file):
        context.load_cert_chain(settings.cert_file, settings.key_file)
    return context


def wrap_socket(sock: socket.socket, server_name: str, settings: TLSSettings) -> socket.socket:
    return client_context(settings).wrap_socket(sock, server_hostname=server_name)
