"""uvicorn's Server without its timers on the way out, for the in-process test IdP.

uvicorn notices ``should_exit`` on a 100 ms tick and then sleeps a fixed 100 ms while
connections close, and waits in 100 ms steps after that: about 170 ms of every fixture's
teardown, whatever the test did. Here ``stop()`` wakes the loop at once, and shutdown
waits only while a connection or task is really still open (bounded by the graceful
shutdown timeout, as uvicorn's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn

TICK_SECONDS = 0.1  # uvicorn's own: the Date header is refreshed on ticks
POLL_SECONDS = 0.002
GRACE_SECONDS = 5.0


class PromptServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):  # a tick: uvicorn refreshes its Date header on ticks
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    def stop(self) -> None:
        """Ask the server to exit, from any thread; it starts shutting down at once."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now; a request in flight finishes first
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or GRACE_SECONDS)
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        for task in self.server_state.tasks:
            task.cancel(msg="the test IdP is stopping")
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()
