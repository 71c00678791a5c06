"""`make bench`: training, NLU quality, turn latency and memory, the Telegram load targets, scale-out (Rasa
replicas and memory per process), safety net, counselor desk latency, booking.

Numbers to report, not pass/fail tests. Results are also written to var/bench/results.json.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import httpx

from bench import booking, desk, safety, telegram_load, topology
from bot.processes import running_server
from bot.rasa.servers import action_server_spec, rasa_server_spec
from bot.rasa.training import RASA_VENV, ensure_model, rasa_environment
from services.config import load_settings
from services.paths import NLU_DIR, PROJECT_ROOT, VAR_DIR

RESULTS = VAR_DIR / "bench" / "results.json"
TURNS = 60
TURN_MESSAGES = {
    "ru": "нужен врач в Бишкеке",
    "uz": "Andijonda ayollar vrachi kerak",
    "kk": "сәлеметсіз бе",
    "en": "I need a psychologist for my son in Almaty",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "n": len(ordered),
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def training_time() -> dict[str, float]:
    """A full `rasa train` from scratch into a scratch folder (the cached model is left alone)."""
    out = Path(tempfile.mkdtemp(prefix="yoldosh-train-"))
    started = time.monotonic()
    subprocess.run(
        [
            str(RASA_VENV / "bin" / "rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain",
            "--data",
            "data",
            "--out",
            str(out),
            "--force",
        ],
        cwd=NLU_DIR,
        env=rasa_environment(),
        check=True,
        capture_output=True,
    )
    seconds = time.monotonic() - started
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": round(seconds, 1)}


def nlu_quality(model: Path) -> dict[str, object]:
    """Per-locale macro-F1 and crisis recall of the model and of the TF-IDF baseline on held-out data."""
    report = VAR_DIR / "bench" / "nlu_quality.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(RASA_VENV / "bin" / "python"),
            str(PROJECT_ROOT / "bench" / "nlu_quality.py"),
            str(model),
            "--json",
            str(report),
        ],
        env=rasa_environment(),
        check=True,
    )
    return dict(json.loads(report.read_text()))


def latency_and_memory(model: Path) -> dict[str, object]:
    """Full turns through the REST webhook (with actions) and raw /model/parse, one user; RSS of each server."""
    token = secrets.token_hex(16)
    settings = load_settings(rasa_url=f"http://127.0.0.1:{_free_port()}", action_server_port=_free_port())
    with (
        running_server(action_server_spec(settings)) as actions,
        running_server(rasa_server_spec(settings, model, api_token=token)) as rasa,
        httpx.Client(base_url=settings.rasa_url, timeout=30) as http,
    ):
        sender = uuid.uuid4().hex
        turns, parses = [], []
        for index in range(TURNS):
            locale, text = list(TURN_MESSAGES.items())[index % len(TURN_MESSAGES)]
            body = {"sender": sender, "message": text, "metadata": {"locale": locale}}
            started = time.perf_counter()
            http.post("/webhooks/rest/webhook", json=body).raise_for_status()
            turns.append(time.perf_counter() - started)
            started = time.perf_counter()
            http.post("/model/parse", params={"token": token}, json={"text": text}).raise_for_status()
            parses.append(time.perf_counter() - started)
        return {
            "turn_webhook": _percentiles(turns[5:]),
            "model_parse": _percentiles(parses[5:]),
            "rss_mb": {"rasa": _rss_mb(rasa.pid), "action_server": _rss_mb(actions.pid)},
        }


def main() -> None:
    """Run every benchmark and print a summary."""
    results: dict[str, object] = {}
    print("==> Full training run (from scratch)", flush=True)
    results["training"] = training_time()
    print(f"    {results['training']['seconds']} s", flush=True)  # type: ignore[index]
    model = ensure_model().path
    print("==> NLU quality on held-out data (DIET vs char n-gram TF-IDF + logistic regression)", flush=True)
    results["nlu_quality"] = nlu_quality(model)
    print("==> Turn latency and memory", flush=True)
    results["runtime"] = latency_and_memory(model)
    runtime = results["runtime"]
    print(f"    REST turn with actions: {runtime['turn_webhook']}", flush=True)  # type: ignore[index]
    print(f"    raw /model/parse:       {runtime['model_parse']}", flush=True)  # type: ignore[index]
    print(f"    RSS (MB):               {runtime['rss_mb']}", flush=True)  # type: ignore[index]
    results["telegram"] = telegram_load.measure(model)
    print("==> Scale-out: Rasa turns with 1 vs 2 replicas (shared tracker and lock store), RSS per process", flush=True)
    results["topology"] = topology.measure(model)
    print(textwrap.indent(topology.table(results["topology"]), "    "), flush=True)
    print("==> Safety net: recall and false alarms per locale, scans per second", flush=True)
    results["safety"] = {
        key: {name: value for name, value in part.items() if name != "misses"} for key, part in safety.run().items()
    }
    print(f"    {results['safety']['speed']}", flush=True)  # type: ignore[index]
    print("==> Counselor desk: crisis message to emergency numbers and to a case card (target p95 2 s)", flush=True)
    results["desk"] = desk.run()
    for name in ("one_at_a_time", "burst_of_6"):
        print(f"    {name}: {results['desk'][name]}", flush=True)  # type: ignore[index]
    print("==> Booking: overbooking race, latency at 50 users, slot search (PostgreSQL and SQLite)", flush=True)
    results["booking"] = [booking.run(backend) for backend in ("postgresql", "sqlite")]
    for run in results["booking"]:  # type: ignore[attr-defined]
        print(f"    {run['backend']}: race {run['race']}, latency {run['latency']}", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"==> Written to {RESULTS.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
