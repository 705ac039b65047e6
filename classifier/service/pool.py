"""Where the service's CPU work runs: analysis processes fed in request order (``Analyzer``).

Why (issue 14, measured in docs/SERVE_BENCH.md): analysis is CPU-bound Python, so one
process analyzes at the speed of one core whatever its thread count, and eight requests
sharing FastAPI's threadpool also share one GIL with the event loop. uvicorn's
``--workers`` does not fix it for keep-alive clients: each connection stays with the worker
that accepted it, and 8 connections opened together were split 7/1 or 6/2 between two
workers as often as 4/4. So the HTTP process keeps the connections and hands each request's
jobs (``service/jobs``) to a queue that ``processes`` analysis processes take from in turn:
whichever is free takes the next job, and requests are answered in arrival order.

- A process (``service/worker.run_process``) loads the model itself, warms up, says it is
  ready, then answers jobs over a socket pair: 4-byte length, then the bytes. Processes are
  forked by a small fork server (``python -m classifier.service.worker``, started once per
  HTTP process) that has imported the analysis modules, so a reload starts its processes in
  about the time it takes to load the model and warm up. (multiprocessing's own fork server
  would re-run the main script of the server in each process: a script that builds the app
  without an ``if __name__ == "__main__":`` guard would fail to start.) Analysis processes and
  the fork server ignore SIGINT, SIGTERM and SIGHUP (a terminal's or a service manager's
  signal to the whole group must not cut requests that the HTTP process is still finishing)
  and exit when their socket closes: when the HTTP process closes it, or dies.
- With ``processes=0`` (one usable core, or uvicorn ``--workers`` > 1, which already has one
  process per core) the jobs run in one thread of the HTTP process, one at a time, in order:
  never on the event loop, and never eight at once fighting for the GIL.
- A reload prepares a new *generation* (processes loading the new model, or a thread bound to
  it) before anything changes, then swaps it in; a request keeps the generation it started
  with, and an old generation closes when its last request is answered.
- A process that dies is replaced; the job it was doing goes back in the queue once (500,
  ``ServiceError``, if it stops a second process too).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from classifier.errors import ModelError, ServiceError
from classifier.service.jobs import error_from_reply, join_fragments, run_job

if TYPE_CHECKING:
    from classifier.model.theme_model import ThemeModel

__all__ = ["HEADER", "PROCESSES_ENV", "START_TIMEOUT", "Analyzer", "default_processes",
           "read_frame", "recv_exactly", "write_frame"]

log = logging.getLogger("uvicorn.error")

PROCESSES_ENV = "CLASSIFIER_PROCESSES"
START_TIMEOUT = 120.0  # seconds for an analysis process to load the model and warm up
HEADER = struct.Struct(">I")  # a frame's length, before its bytes (shared with service/worker)
# Reply kinds, first byte of a reply frame.
OK, ERROR, CRASH, READY = b"0", b"1", b"2", b"R"
def default_processes(workers: int = 1) -> int:
    """Analysis processes to start: one per usable core when there are several cores and one
    uvicorn worker; 0 (a thread of the HTTP process) otherwise. ``CLASSIFIER_PROCESSES``
    overrides it."""
    raw = os.environ.get(PROCESSES_ENV)
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0:
            raise ServiceError(f"{PROCESSES_ENV}={raw!r}: expected a whole number of analysis "
                               "processes, 0 or more (0: analyze in a thread)")
        return value
    if workers > 1 or not (hasattr(os, "fork") and hasattr(socket, "send_fds")):
        return 0  # several uvicorn workers, or no fork (Windows)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


# -- framing (shared with service/worker) --------------------------------------------------------

def write_frame(sock: socket.socket, payload: bytes) -> None:
    """Send one frame on a blocking socket."""
    sock.sendall(HEADER.pack(len(payload)) + payload)


def read_frame(sock: socket.socket) -> bytes | None:
    """Read one frame from a blocking socket; None at end of stream."""
    head = recv_exactly(sock, HEADER.size)
    if head is None:
        return None
    return recv_exactly(sock, HEADER.unpack(head)[0])


def recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    """Exactly ``n`` bytes from a blocking socket; None when it ends first."""
    parts, missing = [], n
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


# -- workers ----------------------------------------------------------------------------------

class _ThreadWorker:
    """Runs jobs with ``model`` in a thread of this process, one at a time."""

    def __init__(self, model: ThemeModel) -> None:
        self.model = model
        self.pid = os.getpid()

    async def start(self) -> None:
        """Nothing to connect."""

    async def call(self, job: bytes) -> bytes:
        """The job's records (what ``run_job`` raises is raised here)."""
        return await asyncio.to_thread(run_job, self.model, job)

    async def close(self) -> None:
        """Nothing to stop."""


class _ForkServer:
    """The fork server of this HTTP process (started at the first analysis process): asked
    for a process with a model spec and one end of a socket pair, it forks one and answers
    its pid."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one request at a time on the control socket
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._at_exit = False

    def fork(self, spec: str, sock: socket.socket) -> int:
        """The pid of a new analysis process serving ``sock`` with the model at ``spec``."""
        payload = spec.encode("utf-8")
        with self._lock:
            for _attempt in (1, 2):  # a fork server that died is started again, once
                control = self._running()
                try:
                    socket.send_fds(control, [HEADER.pack(len(payload)) + payload],
                                    [sock.fileno()])
                    answer = recv_exactly(control, HEADER.size)
                except OSError:
                    answer = None
                if answer is not None:
                    return int(HEADER.unpack(answer)[0])
                self._stop()
        raise ServiceError(f"cannot start analysis processes (their fork server stopped); "
                           f"see the log above, or set {PROCESSES_ENV}=0 to analyze in the "
                           "server process")

    def _running(self) -> socket.socket:
        if self._proc is not None and self._proc.poll() is None and self._control is not None:
            return self._control
        self._stop()
        ours, theirs = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "classifier.service.worker", "--control",
                 str(theirs.fileno())], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        except OSError as exc:
            ours.close()
            raise ServiceError(f"cannot start the analysis fork server ({exc}); set "
                               f"{PROCESSES_ENV}=0 to analyze in the server process") from exc
        finally:
            theirs.close()
        self._control = ours
        if not self._at_exit:  # stopped with this process, not left to the garbage collector
            atexit.register(self._stop)
            self._at_exit = True
        return ours

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()  # the fork server exits at end of stream
            self._control = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


# One per HTTP process, shared by its apps and reloads; it ends with the process.
_FORK_SERVER = _ForkServer()


class _ProcessWorker:
    """One analysis process and the HTTP process's end of its socket."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @classmethod
    def spawn(cls, spec: str, timeout: float = START_TIMEOUT) -> _ProcessWorker:
        """Start a process loading ``spec`` and wait (blocking) until it is ready; ModelError
        naming the cause when it cannot load or use the model."""
        ours, theirs = socket.socketpair()
        try:
            pid = _FORK_SERVER.fork(spec, theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.settimeout(timeout)
        try:
            reply = read_frame(ours)
        except OSError:  # timed out
            reply = None
        if reply is None or reply[:1] != READY:
            ours.close()
            _reap(pid, 5.0)
            if reply is not None and reply[:1] == ERROR:
                raise ModelError(str(error_from_reply(reply[1:])))
            raise ModelError(f"an analysis process could not load the model {spec} within "
                             f"{timeout:.0f} s; see the log above")
        ours.settimeout(None)
        return cls(pid, ours)

    async def start(self) -> None:
        """Attach the socket to the running event loop."""
        self.sock.setblocking(False)
        self.reader, self.writer = await asyncio.open_connection(sock=self.sock)

    async def call(self, job: bytes) -> bytes:
        """Send a job, wait for its reply: records, or the job's error raised here."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(HEADER.pack(len(job)) + job)
        await self.writer.drain()
        head = await self.reader.readexactly(HEADER.size)
        reply = await self.reader.readexactly(HEADER.unpack(head)[0])
        kind, body = reply[:1], reply[1:]
        if kind == OK:
            return body
        if kind == ERROR:
            raise error_from_reply(body)
        raise RuntimeError(f"analysis process {self.pid} failed on a request:\n"
                           f"{body.decode('utf-8', 'replace')}")

    async def close(self) -> None:
        """Close the socket (the process exits at end of stream) and wait for it to end."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        else:
            self.sock.close()
        await asyncio.to_thread(_reap, self.pid, 10.0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a reused pid of another user
        return False
    return True


def _reap(pid: int, grace: float) -> None:
    """Wait for a process told to stop (the fork server reaps it); kill it after ``grace``
    seconds."""
    deadline = time.monotonic() + grace
    while _alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.02)


Worker = _ThreadWorker | _ProcessWorker


def _drop(gen: _Generation) -> None:
    """Stop the processes of a generation that never served (blocking)."""
    for w in gen.workers:
        if isinstance(w, _ProcessWorker):
            w.sock.close()
            _reap(w.pid, 5.0)


@dataclass(eq=False)
class _Job:
    payload: bytes
    future: asyncio.Future[bytes]
    retried: bool = False


@dataclass(eq=False)
class _Generation:
    """The workers serving one model, their job queue, and the requests using them."""

    spec: str
    model: ThemeModel
    workers: list[Worker]
    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    consumers: dict[Worker, asyncio.Task[None]] = field(default_factory=dict)
    users: int = 0
    retired: bool = False  # no new request starts on it
    closed: bool = False  # its workers are stopped


class Analyzer:
    """Runs requests' jobs in ``processes`` analysis processes (0: in one thread).

    ``prepare`` (blocking, any thread) builds a generation for a model; ``install`` swaps it
    in (from any thread; it returns once the event loop has swapped); ``run`` (event loop)
    answers one request; ``close`` (event loop) stops every worker.
    """

    def __init__(self, processes: int) -> None:
        if processes < 0:
            raise ServiceError(f"processes must be 0 or more, got {processes}")
        self.processes = processes
        self._current: _Generation | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retiring: set[asyncio.Task[None]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop that ``run`` and ``install`` use (set in the app's startup)."""
        self._loop = loop

    @property
    def pids(self) -> list[int]:
        """The analysis processes of the current generation (empty for a thread)."""
        current = self._current
        if current is None:
            return []
        return [w.pid for w in current.workers if isinstance(w, _ProcessWorker)]

    def prepare(self, spec: str, model: ThemeModel) -> _Generation:
        """Workers for ``model`` (loaded from ``spec``), ready to serve. Blocking; raises
        ModelError (a process could not use the model) or ServiceError, starting nothing."""
        if self.processes == 0:
            return _Generation(spec, model, [_ThreadWorker(model)])
        workers: list[Worker] = []
        errors: list[Exception] = []
        lock = threading.Lock()

        def one() -> None:
            try:
                worker = _ProcessWorker.spawn(spec)
            except Exception as exc:  # reported below, after every start has ended
                with lock:
                    errors.append(exc)
            else:
                with lock:
                    workers.append(worker)

        # Started side by side: each loads the model (seconds), on its own core.
        threads = [threading.Thread(target=one, daemon=True) for _ in range(self.processes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            _drop(_Generation(spec, model, workers))
            raise errors[0]
        return _Generation(spec, model, workers)

    def install(self, gen: _Generation) -> None:
        """Serve new requests with ``gen``; the old generation closes after its last request.
        Called from a thread, waits until the event loop has done it."""
        loop = self._loop
        if loop is None:
            raise ServiceError("the analyzer is not bound to an event loop yet")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            _drop(gen)
            raise ServiceError("Analyzer.install blocks: call it from a thread, or use swap")
        try:
            asyncio.run_coroutine_threadsafe(self.swap(gen), loop).result(START_TIMEOUT)
        except concurrent.futures.TimeoutError:  # the loop is stopping: drop the new workers
            _drop(gen)
            raise ServiceError("the server is stopping; the new model was not installed"
                               ) from None

    async def swap(self, gen: _Generation) -> None:
        """``install`` on the event loop itself."""
        for worker in gen.workers:
            await worker.start()
            gen.consumers[worker] = asyncio.create_task(self._consume(gen, worker))
        old, self._current = self._current, gen
        if old is not None:
            old.retired = True
            if old.users == 0:
                self._retire(old)

    async def run(self, jobs: list[bytes]) -> bytes:
        """The ``{"articles": [...]}`` body for a request's jobs, done in order on the
        generation current when the request started."""
        gen = self._current
        if gen is None:
            raise ServiceError("the analysis workers are not started yet; retry in a moment")
        gen.users += 1
        try:
            fragments = []
            for payload in jobs:
                job = _Job(payload, asyncio.get_running_loop().create_future())
                gen.queue.put_nowait(job)
                fragments.append(await job.future)
            return join_fragments(fragments)
        finally:
            gen.users -= 1
            if gen.retired and gen.users == 0:
                self._retire(gen)

    async def _consume(self, gen: _Generation, worker: Worker) -> None:
        """Feed ``worker`` jobs from its generation's queue until the generation retires."""
        while True:
            job = await gen.queue.get()
            if job.future.done():  # its request is gone
                continue
            try:
                reply = await worker.call(job.payload)
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                if not isinstance(worker, _ProcessWorker):  # raised by the job itself
                    if not job.future.done():
                        job.future.set_exception(exc)
                    continue
                # The process died (killed, out of memory) before answering. A job is pure
                # computation: it goes back in the queue once; a job that stops a second
                # process fails (500). Either way a new process takes this one's place.
                log.error("analysis process %d stopped (%r); starting another", worker.pid, exc)
                if not job.future.done():
                    if job.retried:
                        job.future.set_exception(ServiceError(
                            "two analysis processes stopped while handling this request; "
                            "see the server log"))
                    else:
                        job.retried = True
                        gen.queue.put_nowait(job)
                self._replace(gen, worker)
                return
            except Exception as exc:  # the job's own error: the request's answer
                if not job.future.done():
                    job.future.set_exception(exc)
            else:
                if not job.future.done():
                    job.future.set_result(reply)

    def _replace(self, gen: _Generation, dead: Worker) -> None:
        """Start a process in place of ``dead`` (in the background)."""
        gen.consumers.pop(dead, None)
        gen.workers.remove(dead)
        task = asyncio.create_task(self._respawn(gen, dead))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _respawn(self, gen: _Generation, dead: Worker) -> None:
        await dead.close()
        worker: Worker
        if gen.retired:
            if gen.users == 0:
                return
            # Requests still in flight on a replaced generation finish with its model here.
            worker = _ThreadWorker(gen.model)
        else:
            try:
                worker = await asyncio.to_thread(_ProcessWorker.spawn, gen.spec)
            except Exception as exc:  # keep serving: a thread with the loaded model takes over
                log.error("could not start a new analysis process (%s); analyzing in the "
                          "server process instead", exc)
                worker = _ThreadWorker(gen.model)
        if gen.closed:
            await worker.close()
            return
        await worker.start()
        gen.workers.append(worker)
        gen.consumers[worker] = asyncio.create_task(self._consume(gen, worker))

    def _retire(self, gen: _Generation) -> None:
        task = asyncio.create_task(self._close_generation(gen))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _close_generation(self, gen: _Generation) -> None:
        gen.closed = True
        for task in gen.consumers.values():
            task.cancel()
        for task in list(gen.consumers.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.gather(*(w.close() for w in gen.workers))

    async def close(self) -> None:
        """Stop every worker (after the server has answered its last request)."""
        gen, self._current = self._current, None
        if gen is not None:
            gen.retired = True
            await self._close_generation(gen)
        deadline = time.monotonic() + 30
        while self._retiring and time.monotonic() < deadline:
            await asyncio.gather(*self._retiring, return_exceptions=True)
