"""A fork server for the test suite's dbt commands: one process per test worker imports dbt, its
DuckDB and Athena adapters and boto3 once (about 3 s of every dbt start, most of it dbt's own
imports), then forks a child for each command, which runs dbt's own command line with the
command's arguments, environment, working directory and standard streams, as `.venv/bin/dbt`
would: a child is a process of its own (its own pid, killed by a signal like any other, its own
session when asked) that starts from the imported and warmed state (below), never from an
earlier command's.

Before it serves, the server parses the project once per target and compiles every macro into
dbt's template cache, so that a dbt process starts with what every build would otherwise
compile again: a build of 2,000 events took 15.3-16.1 s through the server without this and
9.7-10.8 s with it (three builds each, 2 cores).

`python -m tests.dbt_forkserver SOCKET` serves on a Unix socket; `ForkServer` starts one and
runs commands through it (`run`, like subprocess.run with captured text; `start`, like Popen).
`run` and `start` use the server of the process tree: the one named in DBT_FORKSERVER_SOCKET, or
a new one when DBT_FORKSERVER_LAUNCH is 1 (the test suite sets it; the new server's socket is put
in DBT_FORKSERVER_SOCKET for the processes a test starts); otherwise a plain subprocess.

Each request is served by a waiter process forked from the server: it forks the dbt process,
reports its pid, waits for it and reports its exit status (negative for a signal, as Popen
does), so that requests never wait for each other.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

SOCKET_ENV = "DBT_FORKSERVER_SOCKET"
LAUNCH_ENV = "DBT_FORKSERVER_LAUNCH"
ATHENA_ENTRY = "tests.athena.dbt_cli"  # dbt's command line with boto3's data and clients shared
_HEADER = struct.Struct("!I")  # the request's length, sent with the three standard-stream fds


class _DbtExited(BaseException):
    """Raised in a dbt process when dbt has ended, so that it leaves the server's frames and
    exits at the top with dbt's code, through Python's normal shutdown (atexit, threads)."""

    def __init__(self, code: int | str | None) -> None:
        super().__init__(code)
        self.code = code


# ------------------------------------------------------------------ the server


def _preload() -> None:
    import boto3  # noqa: F401
    import dbt.adapters.athena.impl
    import dbt.adapters.duckdb.impl  # noqa: F401
    import duckdb  # noqa: F401
    from dbt.cli.main import cli  # noqa: F401


def serve(path: str) -> None:
    _preload()
    from tests.dbt_forkserver_warmup import warm_templates

    warm_templates()
    # What the server holds is never freed: out of the collector's sight, a dbt process does not
    # walk it at every full collection (nor copy the pages it would touch).
    gc.collect()
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    listener.settimeout(1.0)
    parent = os.getppid()
    print("ready", flush=True)
    while os.getppid() == parent:  # a server whose test worker ended stops
        _reap_waiters()
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(None)
        if os.fork() == 0:  # the waiter
            listener.close()
            try:
                _wait_for_one(connection)
            except _DbtExited:
                raise  # the dbt process the waiter forked: it ends at the top
            except BaseException:
                os._exit(1)  # a waiter never goes back to serving
            os._exit(0)
        connection.close()


def _reap_waiters() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass
    except ChildProcessError:
        pass


def _wait_for_one(connection: socket.socket) -> None:
    header, fds, _, _ = socket.recv_fds(connection, _HEADER.size, 3)
    (length,) = _HEADER.unpack(header)
    body = b""
    while len(body) < length:
        body += connection.recv(length - len(body))
    request = json.loads(body)
    pid = os.fork()
    if pid == 0:
        connection.close()
        _run_dbt(request, fds)  # the dbt process: exits when dbt does
    for fd in fds:
        os.close(fd)
    connection.sendall(f"pid {pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    connection.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
    connection.close()


def _run_dbt(request: dict[str, Any], fds: list[int]) -> None:
    for number, fd in enumerate(fds):
        os.dup2(fd, number)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    if request["new_session"]:
        os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["dbt", *request["args"]]
    if request["entry"] == ATHENA_ENTRY:
        from tests.athena.dbt_cli import share_boto3_work

        share_boto3_work()
    from dbt.cli.main import cli

    try:
        cli(args=request["args"], prog_name="dbt")
    except SystemExit as ended:  # click ends every command so
        raise _DbtExited(ended.code) from None
    raise _DbtExited(0)


# ------------------------------------------------------------------ the client


class Forked:
    """A dbt process started through the server, with what a caller uses of subprocess.Popen."""

    def __init__(self, connection: socket.socket, stdout: IO[str] | None, new_session: bool) -> None:
        self._connection = connection
        self._received = b""
        self.stdout = stdout
        self.new_session = new_session
        self.returncode: int | None = None
        self.pid = int(self._reply("pid", None))

    def _reply(self, word: str, timeout: float | None) -> str:
        """The value of the server's next line, `<word> <value>`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._connection], [], [], left)[0]:
                raise subprocess.TimeoutExpired(["dbt"], timeout or 0)
            chunk = self._connection.recv(4096)
            if not chunk:
                raise RuntimeError(f"the dbt fork server ended without the command's {word}")
            self._received += chunk
        line, _, self._received = self._received.partition(b"\n")
        said, _, value = line.decode().partition(" ")
        if said != word:
            raise RuntimeError(f"the dbt fork server said {line!r}, not the command's {word}")
        return value

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = int(self._reply("exit", timeout))
            self._connection.close()
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                return self.wait(timeout=0.001)
            except subprocess.TimeoutExpired:
                return None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL to the process, or to its session's process group."""
        try:
            if self.new_session:
                os.killpg(self.pid, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class ForkServer:
    """A running fork server, reached by its socket."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def launch(cls, python: str = sys.executable) -> tuple[ForkServer, subprocess.Popen[str]]:
        """A new server, a child of this process (it stops when this process ends)."""
        folder = tempfile.mkdtemp(prefix="dbtfs-")  # short: a socket path has at most 107 bytes
        path = os.path.join(folder, "socket")
        repository = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": repository}
        process = subprocess.Popen(
            [python, "-m", "tests.dbt_forkserver", path],
            cwd=repository, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            process.kill()
            raise RuntimeError("the dbt fork server did not start")
        return cls(path), process

    @classmethod
    def from_environment(cls) -> ForkServer | None:
        path = os.environ.get(SOCKET_ENV)
        return cls(path) if path else None

    def start(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path | str,
        stdout: int | None = None,
        stderr: int | None = None,
        new_session: bool = False,
    ) -> Forked:
        """`argv` as for subprocess.Popen: the dbt program (or `python -m tests.athena.dbt_cli`)
        and its arguments; `stdout`, `stderr` a file descriptor, subprocess.PIPE or
        subprocess.STDOUT (stderr only), or None for this process's own."""
        entry, args = _entry_and_args(argv)
        if stderr == subprocess.PIPE:
            raise ValueError("stderr=PIPE is not supported: use a pipe of your own or STDOUT")
        read_end = None
        if stdout == subprocess.PIPE:
            read_end, stdout = os.pipe()
        out = stdout if stdout is not None else 1
        err = out if stderr == subprocess.STDOUT else (stderr if stderr is not None else 2)
        stdin = os.open(os.devnull, os.O_RDONLY)
        request = json.dumps(
            {"entry": entry, "args": args, "env": env, "cwd": str(cwd), "new_session": new_session}
        ).encode()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.path)
            socket.send_fds(connection, [_HEADER.pack(len(request))], [stdin, out, err])
            connection.sendall(request)
        finally:
            os.close(stdin)
            if read_end is not None:
                os.close(out)  # the child holds the write end now
        reader = os.fdopen(read_end, "r") if read_end is not None else None
        return Forked(connection, reader, new_session)

    def run(
        self, argv: list[str], env: dict[str, str], cwd: Path | str, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Like subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        try:
            process = self.start(argv, env, cwd, stdout=out_write, stderr=err_write)
        finally:
            os.close(out_write)
            os.close(err_write)
        texts: dict[int, str] = {}

        def read(fd: int) -> None:
            with os.fdopen(fd, "r", errors="replace") as stream:
                texts[fd] = stream.read()

        readers = [threading.Thread(target=read, args=(fd,), daemon=True) for fd in (out_read, err_read)]
        for reader in readers:
            reader.start()
        started = time.monotonic()
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            for reader in readers:
                reader.join(None if timeout is None else max(1.0, timeout - (time.monotonic() - started)))
        return subprocess.CompletedProcess(argv, returncode, texts.get(out_read, ""), texts.get(err_read, ""))


def _entry_and_args(argv: list[str]) -> tuple[str, list[str]]:
    if Path(argv[0]).name == "dbt":
        return "dbt", list(argv[1:])
    if argv[1:3] == ["-m", ATHENA_ENTRY]:
        return ATHENA_ENTRY, list(argv[3:])
    raise ValueError(f"not a dbt command: {argv[:3]}")


_launched: list[subprocess.Popen[str]] = []


def server() -> ForkServer | None:
    """The fork server of this process tree, launched here if this process may (see above)."""
    path = os.environ.get(SOCKET_ENV)
    if path:
        return ForkServer(path)
    if os.environ.get(LAUNCH_ENV) != "1":
        return None
    launched, process = ForkServer.launch()
    _launched.append(process)
    atexit.register(process.kill)
    os.environ[SOCKET_ENV] = launched.path
    return launched


def run(
    argv: list[str], env: dict[str, str], cwd: Path | str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """A dbt command, like subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)."""
    found = server()
    if found is None:
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
    return found.run(argv, env, cwd, timeout)


def start(
    argv: list[str], env: dict[str, str], cwd: Path | str, new_session: bool = False
) -> Forked | subprocess.Popen[str]:
    """A dbt command started with its output (stderr with it) on a pipe, read as text."""
    found = server()
    if found is None:
        return subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=new_session,
        )  # fmt: skip
    return found.start(argv, env, cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, new_session=new_session)


if __name__ == "__main__":
    try:
        serve(sys.argv[1])
    except _DbtExited as dbt_ended:
        sys.exit(dbt_ended.code)
