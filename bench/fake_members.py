"""The fake Bot API of the tests in a process of its own, playing members for a benchmark.

`serve(delay, pipe, play)`: the fake answers every Bot API call after `delay` seconds and
tells, through `Waiting`, when the bot's answer to a chat arrives; `POST /play` runs
`play(fake, waiting, job)` (a benchmark's members) and answers its JSON result. The fake's
URL goes back through `pipe`; anything sent on `pipe` stops it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "123456:BENCH-token_abcdefghijklmnopqrstuv"


class Waiting:
    """One future per chat, resolved when the bot's next answer to that chat arrives."""

    def __init__(self) -> None:
        self._futures: dict[int, asyncio.Future[None]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[None]:
        future = self._futures[chat_id] = asyncio.get_running_loop().create_future()
        return future

    def forget(self, chat_id: int) -> None:
        self._futures.pop(chat_id, None)

    def answered(self, chat_id: int) -> None:
        future = self._futures.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(None)


Play = Callable[[Any, Waiting, dict[str, Any]], Awaitable[dict[str, Any]]]


def serve(delay: float, pipe: Any, play: Play) -> None:
    asyncio.run(_serve(delay, pipe, play))


async def _serve(delay: float, pipe: Any, play: Play) -> None:
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.channels.fake_telegram import FakeTelegram

    # update ids only grow for a bot (the inbox takes each once): this run's come later
    fake = FakeTelegram(TOKEN, first_update_id=1000 + int(time.time() * 1000) % 10**9 * 1000)
    fake.delay = delay
    waiting = Waiting()
    fake.on_send = waiting.answered

    async def route(request: Request) -> JSONResponse:
        return JSONResponse(await play(fake, waiting, await request.json()))

    await fake.start([Route("/play", route, methods=["POST"])])
    pipe.send(fake.url)
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # until told to stop
    await fake.stop()
