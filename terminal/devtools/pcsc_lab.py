"""DEVELOPMENT AND DEMO TOOL: a private PC/SC stack for tests, benchmarks and the demo:
pcscd + the vsmartcard vpcd virtual reader. Never part of a real till (vpcd lets anyone who
reaches its port insert a card).

``PcscLab().start()`` writes its own reader.conf.d (one vpcd entry = two readers,
``Virtual PCD 00 00`` on ``base_port`` and ``Virtual PCD 00 01`` on ``base_port + 1``),
starts ``pcscd --foreground`` as a child of this process and waits until both readers are
listed; ``stop()`` ends only that child (also on failure: use it as a context manager).

One pcscd per machine: its socket path is compiled in. A lock file serialises every lab on
the machine (other test runs wait for it), and a pcscd that this lab did not start makes
``start`` fail with a clear message rather than touching it.

The base port sits below Linux's ephemeral range (32768-60999), so no client socket can
take it in the meantime (see /work/shared/pcsc, gotcha 2); the lab still checks that the
ports are free before it starts.
"""
from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
BASE_PORT = int(os.environ.get("LOYALTY_TEST_VPCD_PORT", "29963"))
LOCK_FILE = "/tmp/loyalty-pcscd.lock"
PCSCD_PID_FILE = "/run/pcscd/pcscd.pid"
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")


class PcscLabUnavailable(RuntimeError):
    """pcscd or the vpcd driver is not installed on this machine."""


def check_installed() -> None:
    """PcscLabUnavailable unless pcscd, the vpcd driver and pyscard are here."""
    missing = [what for what, path in (("pcscd", PCSCD), ("vsmartcard-vpcd", VPCD_DRIVER))
               if not os.path.exists(path)]
    if missing:
        raise PcscLabUnavailable(f"{', '.join(missing)} not installed; install Debian's "
                                 "pcscd and vsmartcard-vpcd (scripts/test does)")
    if importlib.util.find_spec("smartcard") is None:
        raise PcscLabUnavailable("pyscard is not installed (the terminal extra)")


def _foreign_pcscd() -> int | None:
    """The PID of a pcscd that is running now, if any."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and os.path.basename(cmdline[0]) == b"pcscd":
            return int(entry.name)
    return None


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


class PcscLab:
    _started: list[PcscLab] = []  # labs of this process whose pcscd runs now
    _locking: list[PcscLab] = []  # labs of this process holding the machine-wide lock

    @classmethod
    @contextmanager
    def paused(cls):
        """Stop this process's labs and free the lock (e.g. for a script that starts its own
        pcscd); start again afterwards those that were running. A lab whose pcscd a test
        stopped still holds the lock, so it is freed too."""
        running = [lab for lab in cls._started if lab.running()]
        for lab in list(cls._locking):
            lab.stop()
            lab.release()
        try:
            yield
        finally:
            for lab in running:
                lab.start()

    def __init__(self, base_port: int = BASE_PORT):
        check_installed()
        self.base_port = base_port
        self.root = Path(tempfile.mkdtemp(prefix="loyalty-pcsc-"))
        self.conf_dir = self.root / "reader.conf.d"
        self.conf_dir.mkdir()
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{base_port:04X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{base_port:04X}\n")
        self.log = self.root / "pcscd.log"
        self.process: subprocess.Popen | None = None
        self._lock = None

    @property
    def readers(self) -> tuple[str, str]:
        return READERS

    def port(self, slot: int = 0) -> int:
        return self.base_port + slot

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> PcscLab:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def acquire(self, timeout: float = 600) -> None:
        """Wait for the machine-wide lab lock (other test runs hold it while they use pcscd)."""
        if self._lock is not None:
            return
        handle = open(LOCK_FILE, "a")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise RuntimeError("another test run has held the pcscd lab for "
                                       f"{timeout:g} s") from None
                time.sleep(0.2)
        self._lock = handle
        PcscLab._locking.append(self)

    def start(self, timeout: float = 30) -> PcscLab:
        """Start pcscd with the private reader configuration; wait until both readers exist."""
        self.acquire()
        other = _foreign_pcscd()
        if other is not None:
            raise RuntimeError(f"a pcscd this lab did not start is running (pid {other}); "
                               "stop it first (one pcscd per machine)")
        deadline = time.monotonic() + timeout
        while not all(_port_free(self.port(slot)) for slot in (0, 1)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"vpcd ports {self.port(0)}-{self.port(1)} stay busy")
            time.sleep(0.25)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [PCSCD, "--foreground", "--info", "-c", str(self.conf_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        try:
            self._wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        PcscLab._started.append(self)
        return self

    def _wait_ready(self, deadline: float) -> None:
        from terminal.errors import TerminalError
        from terminal.reader import list_readers

        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"pcscd exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                if set(READERS) <= set(list_readers()):
                    return
            except TerminalError:
                pass  # pcscd is not answering yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"pcscd did not list the vpcd readers:\n{self.log_text()}")
            time.sleep(0.1)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the pcscd this lab started (and only that one)."""
        process, self.process = self.process, None
        if self in PcscLab._started:
            PcscLab._started.remove(self)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def release(self) -> None:
        """Let other labs on the machine go (after ``stop``)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None
            PcscLab._locking.remove(self)

    def close(self) -> None:
        """Stop pcscd, remove the private files, release the machine-wide lock."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.release()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def main() -> int:
    """``python -m terminal.devtools.pcsc_lab``: run the private pcscd until Ctrl-C (for demos)."""
    lab = PcscLab()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        lab.start()
        print(f"pcscd running with readers {', '.join(READERS)} on vpcd ports "
              f"{lab.port(0)} and {lab.port(1)}; Ctrl-C stops it", flush=True)
        while lab.running():
            time.sleep(0.5)
        print(f"pcscd ended:\n{lab.log_text()}")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        lab.close()


if __name__ == "__main__":
    raise SystemExit(main())
