"""The analysis processes of the HTTP service and their fork server (``service/pool``).

``python -m classifier.service.worker --control FD`` is the fork server, started once by an
HTTP process: it imports the analysis modules (``PRELOAD``), then, for each request on its
control socket (a model spec, with one end of a socket pair attached), forks an analysis
process and answers its pid. It exits when the control socket closes.

An analysis process (``run_process``) loads the model, warms up (segmenter, converter, lookup
tables), answers ``READY`` on its socket, then answers each job frame with one reply frame
(``OK`` + records, ``ERROR`` + a library error, ``CRASH`` + a traceback) until the socket
closes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import socket
import sys
import traceback

from classifier.errors import ClassifierError
from classifier.service.jobs import error_reply, run_job
from classifier.service.pool import (
    CRASH,
    ERROR,
    HEADER,
    OK,
    READY,
    read_frame,
    recv_exactly,
    write_frame,
)

__all__ = ["PRELOAD", "fork_server", "main", "run_process", "serve_jobs"]

# Imported once by the fork server, shared by every process it forks.
PRELOAD = ("classifier.labelling.analysis", "classifier.model.store", "pydantic", "rjieba",
           "opencc")


def serve_jobs(sock: socket.socket, spec: str) -> None:
    """Load ``spec``, say ready, answer jobs until end of stream."""
    from classifier.labelling.analysis import warm_up
    from classifier.labelling.runtime import labelling_process
    from classifier.model.store import load_model

    try:
        model = load_model(spec)
        warm_up(model)
    except ClassifierError as exc:
        write_frame(sock, ERROR + error_reply(exc))
        return
    except Exception as exc:  # a model that loads but cannot label: say why, then stop
        write_frame(sock, ERROR + error_reply(ClassifierError(
            f"the model at {spec} fails on a test sentence: {exc!r}")))
        return
    labelling_process()  # this process only analyzes: see classifier.labelling.runtime
    write_frame(sock, READY)
    while (job := read_frame(sock)) is not None:
        try:
            reply = OK + run_job(model, job)
        except ClassifierError as exc:
            reply = ERROR + error_reply(exc)
        except Exception:  # an unexpected failure is the request's 500, not this process's end
            reply = CRASH + traceback.format_exc().encode("utf-8", "backslashreplace")
        write_frame(sock, reply)


def _ignore_group_signals() -> None:
    # The HTTP process decides when these processes stop (by closing their sockets): a signal
    # sent to the whole process group (Ctrl-C, a terminal hang-up, a service manager's
    # SIGTERM) must not cut the requests it is still finishing.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)


def run_process(sock: socket.socket, spec: str) -> None:
    """Body of an analysis process: serve jobs on ``sock`` with the model at ``spec``."""
    _ignore_group_signals()
    with sock:
        try:
            serve_jobs(sock, spec)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the HTTP process went away: nothing left to answer


def fork_server(control: socket.socket) -> None:
    """Fork one analysis process per request on ``control`` until it closes (POSIX)."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # a missing one is imported by each process
            importlib.import_module(name)
    # The kernel reaps the processes forked here: none lingers as a zombie.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            head, fds, _flags, _addr = socket.recv_fds(control, HEADER.size, 1)
        except OSError:
            return
        if len(head) < HEADER.size:  # end of stream: the HTTP process is done
            for fd in fds:
                os.close(fd)
            return
        spec = recv_exactly(control, HEADER.unpack(head)[0])
        if spec is None or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return
        pid = os.fork()
        if pid == 0:  # the analysis process
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                run_process(socket.socket(fileno=fds[0]), spec.decode("utf-8"))
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)  # never return into the fork server's loop
        os.close(fds[0])
        control.sendall(HEADER.pack(pid))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the fork server."""
    ap = argparse.ArgumentParser(prog="python -m classifier.service.worker")
    ap.add_argument("--control", type=int, required=True, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    _ignore_group_signals()
    with socket.socket(fileno=args.control) as control:
        fork_server(control)


if __name__ == "__main__":
    main()
