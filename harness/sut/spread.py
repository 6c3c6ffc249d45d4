"""One server mode as N separate server processes, each on its own port.

Production Channels runs several server processes joined by a channel layer
(channels_redis); ws4redis's uWSGI joins its workers through Redis.  Here
each process is a full server of the mode on its own port, sharing the mode's
database copy and Redis key prefix, so a test can place its clients on
chosen processes (DECISIONS 14): a message that crosses processes must go
through the layer.  A shared port with uvicorn ``--workers`` or uWSGI
``--processes``, where the kernel picks the worker, would leave placement to
chance.  Dev servers (runserver) are meant to run as one process and stay so.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.errors import whole_number
from harness.matrix.releases import split_mode
from harness.sut.config import ChatConfig
from harness.sut.server import ChatServer, ServerStart
from harness.sut.venv import SutEnv

DEV_SERVERS = frozenset({"runserver"})
MAX_PROCESSES = 8


def check_processes(text: str | int) -> int:
    """``--processes`` as given on a command line (bad input: one line, exit 2)."""
    return whole_number(text, "--processes", MAX_PROCESSES)


def processes_for(mode: str, wanted: int) -> int:
    """How many processes ``mode`` runs as: dev servers stay single."""
    return 1 if split_mode(mode)[0] in DEV_SERVERS else wanted


def dev_server_note(mode: str, wanted: int) -> str:
    if wanted > 1 and processes_for(mode, wanted) == 1:
        return f"{mode}: a dev server, runs as one process (--processes {wanted} applies to the others)"
    return ""


class ServerGroup:
    """N ``ChatServer`` processes of one mode; one start record for them all.

    It started only when every process started; the first failure is its
    error, named by process.  ``base_urls[i]`` is process i+1's URL.
    """

    def __init__(
        self,
        config: ChatConfig,
        sut: SutEnv,
        mode: str,
        db_path: Path,
        log_dir: Path,
        key_suffix: str = "",
        processes: int = 1,
        keep_dir: Path | None = None,
    ) -> None:
        count = processes_for(mode, processes)
        self.servers = [
            ChatServer(
                config, sut, mode, db_path, log_dir, key_suffix, f"{mode}-p{i + 1}" if count > 1 else "", keep_dir
            )
            for i in range(count)
        ]
        self.run_name = f"{mode}{key_suffix}"
        self.record = self.servers[0].record
        self.base_url = self.servers[0].base_url
        self.base_urls = [s.base_url for s in self.servers]
        # The scenarios and the session checks talk to process 1 (placement aside):
        # its log is the one whose byte ranges they mark.
        self.log_path = self.servers[0].log_path

    @property
    def provoked(self) -> list[tuple[str, int, int]]:
        return self.servers[0].provoked

    @provoked.setter
    def provoked(self, ranges: list[tuple[str, int, int]]) -> None:
        self.servers[0].provoked = ranges

    def await_ready(self) -> ServerStart:
        records = [server.await_ready() for server in self.servers]
        return self._merged(records)

    def stop(self) -> ServerStart:
        with ThreadPoolExecutor(max_workers=len(self.servers), thread_name_prefix="stop-p") as pool:
            records = list(pool.map(ChatServer.stop, self.servers))
        return self._merged(records)

    def _merged(self, records: list[ServerStart]) -> ServerStart:
        """Process 1's record, failed by the first process that failed; logs joined."""
        first = self.record
        if len(records) == 1:
            return first
        failed = next(((i, r) for i, r in enumerate(records) if not r.started), None)
        if failed is not None and first.started:
            index, record = failed
            first.started = False
            first.error = f"process {index + 1} of {len(records)}: {record.error}"
            first.harness_error = record.harness_error
        if len(records) > 1:
            startups = [r.startup_seconds for r in records if r.startup_seconds is not None]
            first.startup_seconds = max(startups) if len(startups) == len(records) else first.startup_seconds
            first.exceptions = sorted({e for r in records for e in r.exceptions})
            first.warnings = sorted({w for r in records for w in r.warnings})
            for i, r in enumerate(records[1:], start=2):
                if r.log_tail or r.log_excerpt:
                    first.log_tail += f"\n--- process {i} ---\n" + (r.log_tail or r.log_excerpt)[-2000:]
        return first
