"""Builds, trains and runs the Rasa 3.6 NLU server beside the bot.

Rasa 3.6 needs Python 3.10 and pins SQLAlchemy 1.4, pydantic 1 and TensorFlow 2.12, so it can
never share the bot's environment: it gets its own venv under the cache dir, keyed by the hash
of its requirements, and is only ever driven through its command line and HTTP API.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import ipaddress
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DEFAULT_PROJECT_DIR = PROJECT_ROOT / "nlu"
REQUIREMENTS = DEFAULT_PROJECT_DIR / "requirements-rasa.txt"
CONSTRAINTS = DEFAULT_PROJECT_DIR / "constraints-rasa.txt"
_READY_MARKER = ".cps-ready"


class RasaRuntimeError(RuntimeError):
    """The Rasa venv, training or server failed; the message says what to look at."""


def _is_python310(candidate: str) -> bool:
    try:  # A pyenv shim is on PATH yet fails when 3.10 is not the version selected here.
        done = subprocess.run([candidate, "--version"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and (done.stdout + done.stderr).startswith(b"Python 3.10")


def find_python310() -> str:
    """The first working Python 3.10: $CPS_RASA_PYTHON, `python3.10`, pyenv, /usr/bin."""
    explicit = os.environ.get("CPS_RASA_PYTHON", "")
    candidates = [explicit, shutil.which("python3.10") or ""]
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.10*/bin/python3.10"), reverse=True)
    for candidate in filter(None, [*candidates, "/usr/bin/python3.10"]):
        if _is_python310(candidate):
            return candidate
        if candidate == explicit:
            logger.warning("CPS_RASA_PYTHON=%s is not a working Python 3.10", explicit)
    raise RasaRuntimeError(
        "Rasa 3.6 needs Python 3.10 and none was found (tried CPS_RASA_PYTHON, python3.10 on "
        "PATH, pyenv, /usr/bin); install it and set CPS_RASA_PYTHON=/path/to/python3.10"
    )


def _sha256(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:  # Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _venv_key() -> str:
    return _sha256(path.read_bytes() for path in (REQUIREMENTS, CONSTRAINTS))[:16]


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """One builder at a time: a second process waits, then finds the work done."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run_logged(cmd: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
    """Runs cmd with its output in log_path; on failure raises with the log's tail."""
    with log_path.open("w", encoding="utf-8") as log:
        cwd, err, null = (env["HOME"] if env else None), subprocess.STDOUT, subprocess.DEVNULL
        done = subprocess.run(cmd, stdout=log, stderr=err, stdin=null, env=env, cwd=cwd)
    if done.returncode != 0:
        raise RasaRuntimeError(
            f"`{' '.join(cmd[:3])} ...` failed (exit {done.returncode}, log {log_path}):\n"
            f"{_tail(log_path)}"
        )


def ensure_venv(cache_dir: Path) -> Path:
    """The `rasa` executable of <cache_dir>/rasa-venv-<hash>, built first if needed (~2.7 GB).

    The marker file is written last, so an interrupted build is thrown away and redone.
    """
    venv = cache_dir / f"rasa-venv-{_venv_key()}"
    with _locked(cache_dir / f"{venv.name}.lock"):
        if not (venv / _READY_MARKER).exists():
            if venv.exists():
                logger.warning("removing the incomplete Rasa venv %s", venv)
                shutil.rmtree(venv)
            python, started = find_python310(), time.monotonic()
            logger.info("building the Rasa venv %s with %s (minutes, ~2.7 GB)", venv, python)
            log_path = cache_dir / f"{venv.name}.log"
            _run_logged([python, "-m", "venv", str(venv)], log_path)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input"]
            _run_logged([*pip, "-r", str(REQUIREMENTS), "-c", str(CONSTRAINTS)], log_path)
            (venv / _READY_MARKER).write_text(f"built in {time.monotonic() - started:.0f} s\n")
            logger.info("Rasa venv ready in %.0f s", time.monotonic() - started)
    return venv / "bin" / "rasa"


def _prepared_rasa(cache_dir: Path) -> tuple[Path, dict[str, str]]:
    """The venv's rasa and its environment: HOME in the cache, no telemetry, no bot secrets.

    `rasa telemetry disable` runs once in that HOME, on top of RASA_TELEMETRY_ENABLED=false.
    """
    rasa, home = ensure_venv(cache_dir), cache_dir / "rasa-home"
    (home / "tmp").mkdir(parents=True, exist_ok=True)  # TensorFlow litters TMPDIR with files.
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPS_") and k not in dropped}
    env.update(
        HOME=str(home),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        RASA_CACHE_DIRECTORY=str(home / ".rasa" / "cache"),
        TMPDIR=str(home / "tmp"),
    )
    marker = home / ".cps-telemetry-disabled"
    if not marker.exists():
        _run_logged([str(rasa), "telemetry", "disable"], cache_dir / "rasa-telemetry.log", env)
        marker.touch()
    return rasa, env


def _model_key(project_dir: Path) -> str:
    """Config, every data file (sorted paths and contents) and the Rasa requirements."""
    files = sorted(path for path in (project_dir / "data").rglob("*") if path.is_file())
    parts = [_venv_key().encode(), (project_dir / "config.yml").read_bytes()]
    for path in files:
        parts += [path.relative_to(project_dir).as_posix().encode(), path.read_bytes()]
    return _sha256(parts)[:24]


def train(cache_dir: Path, project_dir: Path = DEFAULT_PROJECT_DIR) -> Path:
    """An NLU-only model of project_dir, trained once per content hash and reused after.

    A lock per hash makes a second process wait for the first one's model instead of training
    the same model beside it (two trainings on two cores take twice as long each).
    """
    models = cache_dir / "rasa-models"
    key = _model_key(project_dir)
    model = models / f"{key}.tar.gz"
    with _locked(models / f"{key}.lock"):
        if model.exists():
            return model
        rasa, env = _prepared_rasa(cache_dir)
        logger.info("training the Rasa NLU model %s from %s", model.name, project_dir)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=models, prefix=".training-") as out:
            cmd = [str(rasa), "train", "nlu", "--config", str(project_dir / "config.yml")]
            cmd += ["--nlu", str(project_dir / "data"), "--out", out, "--fixed-model-name", key]
            _run_logged(cmd, models / f"{key}.log", env)
            os.replace(Path(out) / f"{key}.tar.gz", model)  # Atomic: no half-written model.
        logger.info("trained %s in %.0f s", model, time.monotonic() - started)
    return model


def server_log_path(cache_dir: Path, port: int) -> Path:
    return cache_dir / f"rasa-server-{port}.log"


def serve(
    cache_dir: Path, model: Path, host: str = "127.0.0.1", port: int = 5005, *, auth_token: str
) -> subprocess.Popen[bytes]:
    """Starts `rasa run` on loopback, behind a token: its API can replace and train the model."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback or not auth_token:
        raise RasaRuntimeError(f"refusing to serve Rasa on {host!r}: needs loopback and a token")
    rasa, env = _prepared_rasa(cache_dir)
    # One argument "--auth-token=...": a token starting with "-" is still read as the value.
    cmd = [str(rasa), "run", "--enable-api", f"--auth-token={auth_token}", "-i", host]
    cmd += ["-p", str(port), "--model", str(model)]
    log_path = server_log_path(cache_dir, port)
    logger.info("starting the Rasa server on %s:%d (log: %s)", host, port, log_path)
    with log_path.open("wb") as log:
        err, null = subprocess.STDOUT, subprocess.DEVNULL
        return subprocess.Popen(cmd, stdout=log, stderr=err, stdin=null, env=env, cwd=env["HOME"])


def _tail(log_path: Path | None, lines: int = 30) -> str:
    if log_path is None or not log_path.exists():
        return "(no log)"
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(
    url: str,
    timeout_s: float,
    *,
    token: str | None = None,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> None:
    """Polls until the server answers: GET /status with a token (200 once the model is loaded),
    else GET /. Raises at once with the log's tail if proc died, and after timeout_s otherwise.
    """
    probe, params = (f"{url.rstrip('/')}/status", {"token": token}) if token else (url, {})
    deadline, last = time.monotonic() + timeout_s, "no answer"
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RasaRuntimeError(f"Rasa exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                response = client.get(probe, params=params)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.25)
    raise RasaRuntimeError(
        f"Rasa at {url} not ready after {timeout_s:.0f} s ({last}):\n{_tail(log_path)}"
    )


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM (Rasa shuts down cleanly in ~2 s), then SIGKILL if it is still there."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)
