"""Several app processes behind nginx on one port: ``make serve REPLICAS=2 PORT=8501``, or
``python -m distill serve --replicas 2 --port 8501 [--runs DIR] [--hosted]``.

Starts ``--replicas`` identical ``streamlit run serve.py`` processes on the next ports after
``--port``, all on one runs folder, and nginx (Debian's package) in front of them on
``--port`` with session affinity (see deploy/nginx/distill.conf.template). A watchdog
restarts a replica that exits or stops answering its health check, so a dead replica needs
no manual step; nginx sends its sessions to the others meanwhile. Ctrl-C stops everything.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import string
import subprocess
import tempfile
import threading
import urllib.request
from pathlib import Path

from .runs import PROJECT_DIR
from .testing import AppServer, free_port, wait_health

TEMPLATE = PROJECT_DIR / "deploy" / "nginx" / "distill.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHECK_EVERY = 2.0  # seconds between the watchdog's health checks
FAILS_BEFORE_RESTART = 3


def nginx_config(listen: str, replicas: list[str], prefix: Path) -> str:
    """A whole nginx.conf: the template's server, with its own pid, logs and temp folders
    under ``prefix`` (so it runs without touching the system's nginx)."""
    snippet = string.Template(TEMPLATE.read_text()).safe_substitute(  # nginx keeps its $vars
        LISTEN=listen,
        UPSTREAMS="\n    ".join(f"server {r} max_fails=1 fail_timeout=5s;" for r in replicas),
        STICKY="\n    ".join(f'"{r}" "{r}";' for r in replicas))
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {prefix / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}worker_processes auto;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 4096; }\n"
            f"http {{\n    access_log off;\n{temp}\n{snippet}\n}}\n")


class Deployment:
    """N replicas and nginx, started and watched; ``stop()`` ends them all."""

    def __init__(self, replicas: int = 2, port: int | None = None, runs: Path | None = None,
                 hosted: bool = False, env: dict | None = None, bundled: bool = True,
                 logs: Path | None = None):
        self.n = replicas
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runs = Path(runs) if runs else None
        self.env = {**(env or {}), **({"DISTILL_HOSTED": "1"} if hosted else {})}
        self.bundled = bundled
        self.prefix = Path(tempfile.mkdtemp(prefix="distill-nginx-"))
        self.logs = logs
        self.replicas: list[AppServer] = []
        self.restarts = 0
        self.nginx: subprocess.Popen | None = None
        self._stop = threading.Event()

    def _start_replica(self, port: int) -> AppServer:
        log = self.logs / f"replica-{port}.log" if self.logs else None
        return AppServer(self.runs, env=self.env, bundled=self.bundled, port=port, log=log)

    def start(self) -> Deployment:
        ports = [free_port() for _ in range(self.n)]
        self.replicas = [self._start_replica(p) for p in ports]
        for replica in self.replicas:
            replica.wait()
        addresses = [f"127.0.0.1:{p}" for p in ports]
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_config(f"127.0.0.1:{self.port}", addresses, self.prefix))
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(conf),
                                       "-g", "daemon off;"], stderr=subprocess.PIPE)
        wait_health(self.url, 30, self.nginx)
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def pids(self) -> list[int]:
        return [r.pid for r in self.replicas]

    def _healthy(self, replica: AppServer) -> bool:
        if replica.proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(replica.url + "/_stcore/health", timeout=2)
            return True
        except OSError:
            return False

    def _watch(self) -> None:
        """Restart a replica that exited, or failed its health check a few times in a row."""
        fails = [0] * self.n
        while not self._stop.wait(CHECK_EVERY):
            for i, replica in enumerate(self.replicas):
                fails[i] = 0 if self._healthy(replica) else fails[i] + 1
                if fails[i] >= FAILS_BEFORE_RESTART or replica.proc.poll() is not None:
                    replica.stop()
                    self.replicas[i] = self._start_replica(replica.port)
                    self.restarts += 1
                    fails[i] = 0

    def stop(self) -> None:
        self._stop.set()
        if self.nginx is not None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        for replica in self.replicas:
            replica.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)


def serve(replicas: int, port: int, runs: Path, hosted: bool = False) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop every process."""
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed: `sudo apt-get install nginx` (or `make "
                           "serve`, which installs it)")
    deployment = Deployment(replicas, port, runs, hosted).start()
    print(f"serving {replicas} replicas on {deployment.url} (pids "
          f"{', '.join(map(str, deployment.pids()))}); Ctrl-C stops", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        deployment.stop()
