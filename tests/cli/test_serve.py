"""What ``clusterhub serve --workers N`` hands its worker processes: a listener whose accepted
connections get ``TCP_NODELAY`` from asyncio, as with one worker."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from clusterhub.cli.serve import tcp_listener


async def _nodelay_of_accepted(listener: socket.socket) -> int:
    """Serve ``listener`` with asyncio, connect once, and read the accepted socket's option."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    port = listener.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(seen, 10)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def _bound() -> socket.socket:
    """A listener bound as uvicorn binds the socket it passes to its workers."""
    return uvicorn.Config("clusterhub.web.app:create_app", host="127.0.0.1", port=0).bind_socket()


def test_uvicorns_worker_socket_alone_leaves_nagle_on() -> None:
    """Why the fix exists (uvicorn 0.54): should this start failing, uvicorn fixed it."""
    assert asyncio.run(_nodelay_of_accepted(_bound())) == 0


def test_the_listener_handed_to_workers_gets_nodelay_connections() -> None:
    bound = _bound()
    address = bound.getsockname()
    listener = tcp_listener(bound)
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.getsockname() == address  # the same descriptor, still bound
    assert asyncio.run(_nodelay_of_accepted(listener)) == 1
