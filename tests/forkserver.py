"""`python -m praisonai_platform …` as real processes, without paying Python's start-up each time.

Most of a command's 0.6 s, and half of a server's start, is the interpreter starting and
importing (typer, rich, httpx, FastAPI, SQLAlchemy, the models and routes). A fork server pays
that once per test process: it imports the command line and the server, then forks a child per
command or server. The child is a real process like any other: it gets exactly the environment,
working directory and standard input asked for, writes to its own output files, takes signals,
and ends with the status `python -m praisonai_platform` would give. Only the imports are shared;
nothing in the package reads settings or the environment when it is imported.

`run_cli` answers like `subprocess.run(..., capture_output=True, text=True, check=False)`;
`spawn` starts a long-running command (a server) and returns a handle with the Popen methods the
tests use. Tests of start-up itself (the console script, several server workers) start fresh
interpreters instead.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The fork server: one request per line in, {"id", "pid"} when forked and {"pid", "status"} when
# a child ended, out.
_SERVER = r"""
import atexit, gc, json, os, runpy, selectors, signal, socket, sys, traceback

import praisonai_platform.cli.app
import praisonai_platform.mcp_server.server  # the server imports it on start
from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings

# `serve` imports the app; building one fills the schema caches every later build reuses (the
# first build costs ~0.7 CPU s, the next ones ~0.02).
create_app(ServerSettings(jwt_secret="x" * 40))
# What is imported stays shared with the children: their garbage collector leaves it alone
# instead of touching (and so copying) every page of it.
gc.freeze()

channel = socket.socket(fileno=int(sys.argv[1]))
wakeup_read, wakeup_write = os.pipe()
os.set_blocking(wakeup_write, False)
signal.set_wakeup_fd(wakeup_write)
signal.signal(signal.SIGCHLD, lambda *_: None)
selector = selectors.DefaultSelector()
selector.register(channel, selectors.EVENT_READ)
selector.register(wakeup_read, selectors.EVENT_READ)


def send(message):
    channel.sendall(json.dumps(message).encode() + b"\n")


def child(request):
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        selector.close()
        for fd in (channel.detach(), wakeup_read, wakeup_write):
            os.close(fd)
        append = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        for fd, (path, flags) in enumerate(
            [(request["stdin"], os.O_RDONLY), (request["stdout"], append),
             (request["stderr"], append)]
        ):
            opened = os.open(path, flags)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["praisonai_platform", *request["args"]]
        try:
            runpy.run_module("praisonai_platform", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit:
            if exit.code is None:
                code = 0
            elif isinstance(exit.code, int):
                code = exit.code
            else:
                print(exit.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    finally:
        os._exit(code)


received = b""
running = set()
while True:
    for key, _ in selector.select():
        if key.fileobj is channel:
            chunk = channel.recv(65536)
            if not chunk:  # the test process has gone: so does everything it started
                for pid in running:
                    os.kill(pid, signal.SIGKILL)
                sys.exit(0)
            received += chunk
            *lines, received = received.split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    child(request)
                running.add(pid)
                send({"id": request["id"], "pid": pid})
        else:
            os.read(wakeup_read, 4096)
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        running.discard(pid)
        send({"pid": pid, "status": os.waitstatus_to_exitcode(status)})
"""


class ForkedProcess:
    """A process of the fork server, with the methods of subprocess.Popen that tests use."""

    def __init__(self, server: _ForkServer, pid: int, args: list[str]) -> None:
        self._server = server
        self.pid = pid
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.status(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._server.status(self.pid, timeout=timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _ForkServer:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.log = tempfile.NamedTemporaryFile(prefix="forkserver-", suffix=".log")  # noqa: SIM115
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))
        }
        environment.pop("COLUMNS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            cwd=ROOT,
            env=environment,
            # Not a terminal, as for a command whose output is captured: rich decides on colour
            # when the command line is imported.
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        theirs.close()
        self.channel = ours
        self._ids = itertools.count(1)
        self._sending = threading.Lock()
        self._changed = threading.Condition()
        self._pids: dict[int, int] = {}  # request id -> pid
        self._statuses: dict[int, int] = {}  # pid -> exit status
        self._ended = False
        threading.Thread(target=self._read, name="forkserver", daemon=True).start()

    def spawn(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        cwd: str | os.PathLike[str] | None,
        stdin: str | os.PathLike[str],
        stdout: str | os.PathLike[str],
        stderr: str | os.PathLike[str],
    ) -> ForkedProcess:
        request_id = next(self._ids)
        request = {
            "id": request_id,
            "args": list(args),
            "env": dict(os.environ if env is None else env),
            "cwd": os.fspath(cwd) if cwd is not None else os.getcwd(),
            **{"stdin": os.fspath(stdin), "stdout": os.fspath(stdout), "stderr": os.fspath(stderr)},
        }
        with self._sending:
            self.channel.sendall(json.dumps(request).encode() + b"\n")
        with self._changed:
            if not self._changed.wait_for(lambda: request_id in self._pids or self._ended, 60):
                raise RuntimeError(f"the fork server did not answer:\n{self._log()}")
            if self._ended:
                raise RuntimeError(f"the fork server ended:\n{self._log()}")
            pid = self._pids.pop(request_id)
        return ForkedProcess(self, pid, [sys.executable, "-m", "praisonai_platform", *args])

    def status(self, pid: int, *, timeout: float | None) -> int | None:
        """The exit status of a child once it ended; None if it still runs after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._statuses or self._ended, timeout)
            if pid not in self._statuses and self._ended:
                raise RuntimeError(f"the fork server ended:\n{self._log()}")
            return self._statuses.pop(pid, None)

    def _read(self) -> None:
        received = b""
        while chunk := self.channel.recv(65536):
            received += chunk
            *lines, received = received.split(b"\n")
            with self._changed:
                for line in lines:
                    message: dict[str, Any] = json.loads(line)
                    if "id" in message:
                        self._pids[message["id"]] = message["pid"]
                    else:
                        self._statuses[message["pid"]] = message["status"]
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def _log(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def close(self) -> None:
        if self.channel.fileno() < 0:
            return
        self.channel.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.channel.close()
        self.log.close()


_server: _ForkServer | None = None
_starting = threading.Lock()


def _fork_server() -> _ForkServer:
    global _server
    with _starting:
        if _server is None or _server.process.poll() is not None:
            _server = _ForkServer()
            atexit.register(_server.close)
        return _server


def spawn(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str],
) -> ForkedProcess:
    """Start `python -m praisonai_platform *args`; standard output and error are appended to
    `output`, standard input is empty, `env` replaces the whole environment."""
    return _fork_server().spawn(
        args, env=env, cwd=cwd, stdin=os.devnull, stdout=output, stderr=output
    )


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m praisonai_platform *args` to its end; `env` replaces the whole environment
    (default: this process's), standard input holds `input` (default: empty)."""
    with tempfile.TemporaryDirectory(prefix="cli-") as directory:
        files = Path(directory)
        (files / "stdin").write_text(input or "")
        out, err = files / "stdout", files / "stderr"
        process = _fork_server().spawn(
            args, env=env, cwd=cwd, stdin=files / "stdin", stdout=out, stderr=err
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise subprocess.TimeoutExpired(process.args, timeout) from None
        return subprocess.CompletedProcess(
            process.args, process.wait(), _text(out.read_bytes()), _text(err.read_bytes())
        )


def _text(data: bytes) -> str:
    """Decoded as `subprocess.run(text=True)` would: universal newlines."""
    return data.decode(errors="replace").replace("\r\n", "\n").replace("\r", "\n")
