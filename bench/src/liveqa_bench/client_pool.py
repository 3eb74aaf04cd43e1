"""The coordinator's side of the client workers: start them, broadcast calls, gather answers."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from liveqa_bench import loops, worker


class WorkerError(RuntimeError):
    """A worker failed a call or went away."""


def split(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts` (earlier parts get the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class ClientPool:
    """`size` worker processes (spawned, so no state leaks in from the coordinator)."""

    def __init__(self, size: int, loop: str = loops.AUTO) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self.loop = loops.resolve(loop)
        self._pipes: list[Connection] = []
        self._processes: list[BaseProcess] = []

    def start(self) -> None:
        """Spawn the workers."""
        context = multiprocessing.get_context("spawn")
        for _ in range(self.size):
            ours, theirs = context.Pipe()
            process = context.Process(target=worker.main, args=(theirs, self.loop), daemon=True)
            process.start()
            theirs.close()
            self._pipes.append(ours)
            self._processes.append(process)

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [p.pid for p in self._processes if p.pid is not None and p.is_alive()]

    async def call(self, method: str, kwargs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send `method` to every worker (worker i gets kwargs[i]) and gather their answers."""
        if len(kwargs) != self.size:
            raise ValueError(f"{len(kwargs)} argument sets for {self.size} workers")
        for pipe, args in zip(self._pipes, kwargs, strict=True):
            pipe.send((method, args))
        answers = await asyncio.gather(
            *(self._receive(pipe) for pipe in self._pipes), return_exceptions=True
        )
        errors = [
            str(answer) if isinstance(answer, BaseException) else str(answer[1])
            for answer in answers
            if isinstance(answer, BaseException) or answer[0] != "ok"
        ]
        if errors:
            raise WorkerError("; ".join(errors))
        return [answer[1] for answer in answers if not isinstance(answer, BaseException)]

    async def broadcast(self, method: str, **kwargs: Any) -> list[dict[str, Any]]:
        """`call` with the same arguments for every worker."""
        return await self.call(method, [kwargs] * self.size)

    @staticmethod
    async def _receive(pipe: Connection) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[str, Any]] = loop.create_future()
        fd = pipe.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            try:
                answer.set_result(pipe.recv())
            except (EOFError, OSError) as exc:
                answer.set_exception(WorkerError(f"worker went away: {exc!r}"))

        loop.add_reader(fd, readable)
        try:
            return await answer
        finally:
            loop.remove_reader(fd)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the workers to exit, then make sure they have."""
        for pipe in self._pipes:
            try:
                pipe.send(("exit", {}))
            except OSError:
                continue
        for process in self._processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for pipe in self._pipes:
            pipe.close()
        self._pipes.clear()
        self._processes.clear()

    def __enter__(self) -> ClientPool:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
