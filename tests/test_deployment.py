"""The Docker Compose deployment, checked offline: docker-compose.yml, the Dockerfiles, deploy/env.example, the
production endpoints of Rasa and .dockerignore.

Docker does not run here and nothing may be pulled, so no image is built and no container started. What is checked
instead: the compose file as YAML (healthchecks, named volumes, published ports, secrets only as `${...}` from
.env, environment names against `services.config.Settings`, every command parsed by `yoldosh`'s own parser, the
Rasa command by Rasa's own parser in .venv-rasa, and the production endpoints loaded by Rasa itself into a Redis
lock store and a PostgreSQL tracker store URL); the Dockerfiles as text (pinned bases, a non-root USER, no ENV or
ARG named like a secret, the lock file and catalogs).
`docker compose config` validates the file too when a compose binary is installed: the v2 plugin as is, or
docker-compose 1.29 (Debian's package) on a copy without the top-level `name`, which 1.29 predates; with neither
that one test says so in its skip reason. hadolint is not installed on this machine (no Debian package), so the
Dockerfiles are not linted by it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import run_commands, serve_commands
from bot.cli.main import build_parser
from bot.rasa.training import RASA_VENV
from services.config import Settings
from services.paths import NLU_DIR, PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / "env.example"
APP_DOCKERFILE = PROJECT_ROOT / "deploy" / "app.Dockerfile"
RASA_DOCKERFILE = PROJECT_ROOT / "deploy" / "rasa.Dockerfile"
PRODUCTION_ENDPOINTS = NLU_DIR / "endpoints.production.yml"

APP_SERVICES = ("migrate", "actions", "bot")
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# What a filled-in .env could hold, to resolve the file as docker compose would.
SAMPLE_ENV = {
    "TELEGRAM_BOT_TOKEN": "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "WEBHOOK_URL": "https://help.example.org/telegram",
    "SECRET_KEY": "0123456789abcdef" * 4,
    "POSTGRES_PASSWORD": "a1b2c3d4e5f6a1b2c3d4e5f6",
    "REDIS_PASSWORD": "f6e5d4c3b2a1f6e5d4c3b2a1",
}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(value: str, environment: dict[str, str]) -> str:
    """`${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$` as docker compose resolves them."""

    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        found = environment.get(name, "")
        if op in (":?", "?") and not found:
            raise KeyError(f"{name}: {arg}")
        return found or (arg if op in (":-", "-") else "")

    return INTERPOLATION.sub(resolve, value).replace("$$", "$")


def _environment(service: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    raw = service.get("environment", {})
    assert isinstance(raw, dict), "environment as a mapping, so that names can be checked"
    return {name: interpolate(str(value), env or SAMPLE_ENV) for name, value in raw.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    assert isinstance(command, list), "exec form: no shell between docker and the process"
    return [interpolate(str(part), SAMPLE_ENV) for part in command]


# --- compose: structure ----------------------------------------------------------------------------------------
def test_the_deployment_has_every_component() -> None:
    assert set(_services()) == {"postgres", "redis", "migrate", "actions", "rasa", "bot"}


def test_every_service_has_a_healthcheck() -> None:
    for name, service in _services().items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_every_volume_is_named_and_declared() -> None:
    declared = set(_compose().get("volumes") or {})
    used = set()
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            assert not source.startswith((".", "/", "~")), f"{name}: {volume} is a bind mount, not a named volume"
            assert source in declared, f"{name}: volume {source} is not declared under volumes:"
            used.add(source)
    assert used == declared, "every declared volume is used"
    assert "postgres-data" in used, "the database outlives its container"


def test_only_the_webhook_is_published_and_only_on_the_loopback() -> None:
    services = _services()
    for name, service in services.items():
        if name != "bot":
            assert "ports" not in service, f"{name} must be reachable inside the compose network only"
    (published,) = [interpolate(port, SAMPLE_ENV) for port in services["bot"]["ports"]]
    host, _host_port, container_port = published.split(":")
    assert host == "127.0.0.1", "the webhook is for the TLS reverse proxy on this host, not for the world"
    assert container_port == _environment(services["bot"])["WEBHOOK_PORT"]


def test_base_images_are_pinned() -> None:
    for name, service in _services().items():
        image = service.get("image", "")
        if "build" in service:
            continue
        tag = image.rpartition(":")[2]
        assert ":" in image and re.match(r"\d+\.\d+[.-]", tag + "-"), f"{name}: {image} is not pinned to a release"


def test_startup_order_waits_for_health_and_migrations() -> None:
    services = _services()
    for name in ("actions", "bot"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["restart"] == "no", "prepare runs once"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    rasa_needs = services["rasa"]["depends_on"]
    assert {rasa_needs[dependency]["condition"] for dependency in ("postgres", "redis", "actions")} == {
        "service_healthy"
    }


# --- compose: secrets and settings ------------------------------------------------------------------------------
def test_no_secret_value_is_written_in_the_compose_file() -> None:
    for name, service in _services().items():
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAME.search(variable):
                match = INTERPOLATION.fullmatch(value)
                assert match, f"{name}: {variable} must come from .env as ${{{variable}...}}, not be written here"
                assert match["op"] not in (":-", "-") or not match["arg"], f"{name}: {variable} has a default"
            marked = INTERPOLATION.sub(lambda m: m["arg"] if m["op"] in (":-", "-") else f"<{m['name']}>", value)
            for password in re.findall(r"://[^/@\s]*:([^/@\s]*)@", marked):
                assert re.fullmatch(r"<[A-Z_]+>", password), f"{name}: {variable} has a password written in it"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for secret in SAMPLE_ENV.values():
        assert secret not in text


def test_the_env_example_documents_every_variable_and_holds_no_secret() -> None:
    example = _env_example()
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    used = {match["name"] for match in INTERPOLATION.finditer(text)}
    required = {match["name"] for match in INTERPOLATION.finditer(text) if match["op"] in (":?", "?")}
    assert used - set(example) == set(), "every ${VAR} of docker-compose.yml is documented in deploy/env.example"
    assert set(example) - used == set(), "every variable of deploy/env.example is used by docker-compose.yml"
    assert required == set(SAMPLE_ENV), "the required ones are exactly these"
    assert all(example[name] == "" for name in required), "required values are left for the operator to fill in"
    assert all(not example[name] for name in example if SECRET_NAME.search(name)), "no secret in the example"


def test_app_environment_names_are_settings() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in APP_SERVICES:
        environment = _environment(_services()[name])
        assert set(environment) - known == set(), f"{name}: not a setting of services/config.py"


def _settings(environment: dict[str, str]) -> Settings:
    """Settings as a container with this environment reads them (no .env inside the image)."""
    values: dict[str, Any] = {key.lower(): value for key, value in environment.items()}
    return Settings(_env_file=None, **values)


def test_each_app_container_gets_valid_settings_and_what_it_must_change() -> None:
    services = _services()
    resolved = {name: _environment(services[name]) for name in APP_SERVICES}
    for name, environment in resolved.items():
        settings = _settings(environment)
        assert settings.database_url.startswith("postgresql+psycopg://") and "@postgres:5432/" in settings.database_url
        assert settings.secret_key is not None, f"{name}: the same SECRET_KEY in every container"
        assert settings.log_format == "json"
    bot, actions = _settings(resolved["bot"]), _settings(resolved["actions"])
    assert bot.telegram_bot_token is not None and bot.rasa_url == "http://rasa:5005"
    assert (bot.webhook_listen, bot.health_listen) == ("0.0.0.0", "0.0.0.0"), "reachable from outside its container"
    assert f":{bot.health_port}/healthz" in " ".join(services["bot"]["healthcheck"]["test"])
    assert actions.action_server_host == "0.0.0.0"
    assert f":{actions.action_server_port}/health" in " ".join(services["actions"]["healthcheck"]["test"])
    rasa = _environment(services["rasa"])
    assert rasa["YOLDOSH_ACTION_ENDPOINT"] == f"http://actions:{actions.action_server_port}/webhook"
    assert rasa["YOLDOSH_NLG_ENDPOINT"] == f"http://actions:{actions.action_server_port}/nlg"
    for secret in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET"):
        assert secret not in resolved["actions"] and secret not in resolved["migrate"], "only the bot needs it"


# --- compose: commands ------------------------------------------------------------------------------------------
def test_app_commands_are_real_yoldosh_commands() -> None:
    parser = build_parser()
    handlers = {}
    for name in APP_SERVICES:
        program, *arguments = _command(_services()[name])
        assert program == "yoldosh"
        handlers[name] = parser.parse_args(arguments)
    assert handlers["migrate"].handler is serve_commands._prepare
    assert handlers["actions"].handler is serve_commands._serve_actions
    assert handlers["bot"].handler is serve_commands._serve_bot
    assert handlers["bot"].webhook == SAMPLE_ENV["WEBHOOK_URL"]
    _program, *status = _services()["migrate"]["healthcheck"]["test"][1:]
    assert parser.parse_args(status).command == "db"
    assert serve_commands._serve_telegram is run_commands._serve_telegram, "serve-bot serves as `yoldosh run` does"


def test_rasa_runs_the_production_endpoints_with_its_http_api_off() -> None:
    rasa = _services()["rasa"]
    command = _command(rasa)
    assert command[0] == "run", "the image's entrypoint is `rasa`"
    assert "--enable-api" not in command or "--auth-token" in command
    assert command[command.index("--endpoints") + 1] == PRODUCTION_ENDPOINTS.name
    assert command[command.index("--credentials") + 1] == "credentials.yml"
    assert command[command.index("--interface") + 1] == "0.0.0.0"
    assert "endpoints.production.yml" in RASA_DOCKERFILE.read_text(encoding="utf-8")


def test_production_endpoints_read_everything_from_the_environment() -> None:
    endpoints = yaml.safe_load(PRODUCTION_ENDPOINTS.read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["type"] == "SQL" and endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    rasa_environment = set(_environment(_services()["rasa"]))
    for section in ("action_endpoint", "nlg", "tracker_store", "lock_store"):
        for key, value in endpoints[section].items():
            if key in ("url", "port", "db", "username", "password"):
                match = INTERPOLATION.fullmatch(str(value))
                assert match, f"{section}.{key} comes from the environment"
                assert match["name"] in rasa_environment, f"the rasa service sets {match['name']}"


@pytest.mark.rasa
def test_rasa_itself_reads_the_production_endpoints_and_the_command(tmp_path: Path) -> None:
    """Rasa 3.6.21's own code (in .venv-rasa) loads the endpoints with the rasa service's environment: a Redis lock
    store, a PostgreSQL tracker store URL, the action server; its argument parser takes the compose command."""
    if not (RASA_VENV / "bin" / "python").exists():
        pytest.fail(f"Rasa is not installed in {RASA_VENV}: run `make setup`")
    script = tmp_path / "read_endpoints.py"
    script.write_text(
        "import json, sys\n"
        "from rasa.__main__ import create_argument_parser\n"
        "from rasa.core.lock_store import LockStore\n"
        "from rasa.core.tracker_store import SQLTrackerStore\n"
        "from rasa.core.utils import AvailableEndpoints\n"
        "endpoints = AvailableEndpoints.read_endpoints(sys.argv[1])\n"
        "lock = LockStore.create(endpoints.lock_store)\n"
        "store = endpoints.tracker_store\n"
        "url = SQLTrackerStore.get_db_url(store.kwargs['dialect'], store.url, store.kwargs['port'], "
        "store.kwargs['db'], store.kwargs['username'], store.kwargs['password'])\n"
        "redis = lock.red.connection_pool.connection_kwargs\n"
        "arguments = create_argument_parser().parse_args(json.loads(sys.argv[2]))\n"
        "print(json.dumps({'lock_store': type(lock).__name__, 'redis': [redis['host'], redis['port'], redis['db'], "
        "redis['password']], 'tracker_store': store.type, 'tracker_url': url.render_as_string(hide_password=False), "
        "'action': endpoints.action.url, 'nlg': endpoints.nlg.url, 'enable_api': arguments.enable_api, "
        "'port': arguments.port}))\n",
        encoding="utf-8",
    )
    rasa = _services()["rasa"]
    environment = {"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false", **_environment(rasa)}
    command = [str(RASA_VENV / "bin" / "python"), str(script), str(PRODUCTION_ENDPOINTS), json.dumps(_command(rasa))]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout.strip().splitlines()[-1])
    assert read["lock_store"] == "RedisLockStore"
    assert read["redis"] == ["redis", 6379, 1, SAMPLE_ENV["REDIS_PASSWORD"]]
    assert read["tracker_store"] == "SQL"
    assert read["tracker_url"] == f"postgresql://yoldosh:{SAMPLE_ENV['POSTGRES_PASSWORD']}@postgres:5432/yoldosh"
    assert (read["action"], read["nlg"]) == ("http://actions:5055/webhook", "http://actions:5055/nlg")
    assert (read["enable_api"], read["port"]) == (False, 5005)

    del environment["REDIS_PASSWORD"]
    refused = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode != 0 and "REDIS_PASSWORD" in refused.stderr, "an unset variable stops Rasa"


# --- Dockerfiles and the build context ---------------------------------------------------------------------------
def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = dockerfile.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


@pytest.mark.parametrize(
    ("dockerfile", "base"),
    [(APP_DOCKERFILE, r"python:3\.11\.\d+-slim(-bookworm)?"), (RASA_DOCKERFILE, r"rasa/rasa:3\.6\.21-full")],
)
def test_dockerfiles_pin_their_base_run_as_non_root_and_hold_no_secret(dockerfile: Path, base: str) -> None:
    instructions = _instructions(dockerfile)
    bases = [argument for keyword, argument in instructions if keyword == "FROM"]
    assert len(bases) == 1 and re.fullmatch(base, bases[0]), bases
    users = [argument for keyword, argument in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the last USER is not root"
    for keyword, argument in instructions:
        if keyword in ("ENV", "ARG"):
            names = re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", " " + argument) or [argument.split()[0]]
            assert not [name for name in names if SECRET_NAME.search(name)], f"{keyword} {argument}"


def test_the_app_image_installs_the_lock_and_compiles_the_catalogs() -> None:
    instructions = _instructions(APP_DOCKERFILE)
    runs = " ".join(argument for keyword, argument in instructions if keyword == "RUN")
    assert "--requirement requirements/app.lock" in runs
    assert "pybabel compile --domain yoldosh --directory content/locale" in runs
    copied = " ".join(argument for keyword, argument in instructions if keyword == "COPY")
    for needed in ("bot", "services", "nlu", "content", "alembic.ini", "requirements/app.lock"):
        assert needed in copied


def test_the_rasa_image_trains_the_model_it_serves() -> None:
    runs = " ".join(argument for keyword, argument in _instructions(RASA_DOCKERFILE) if keyword == "RUN")
    assert "rasa train" in runs and "--out models" in runs
    assert _command(_services()["rasa"])[1:3] == ["--model", "models"]


def test_secrets_stay_out_of_the_build_context() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".env", "var/", ".venv/", ".git/"):
        assert pattern in ignored, f".dockerignore must exclude {pattern}"


# --- docker compose itself, when installed -------------------------------------------------------------------------
def _compose_binary() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    """`docker compose config` resolves the file with a filled-in .env and refuses it without a required value."""
    binary = _compose_binary()
    if binary is None:
        pytest.skip("no `docker compose` plugin and no docker-compose installed: checked as YAML above only")
    compose = _compose()
    if binary[-1] != "compose":
        compose.pop("name")  # docker-compose 1.29 predates the top-level name
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(compose), encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    env = "\n".join(f"{name}={value}" for name, value in {**_env_example(), **SAMPLE_ENV}.items())
    (tmp_path / ".env").write_text(env + "\n", encoding="utf-8")
    result = subprocess.run([*binary, "config"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["bot"]["command"][-1] == SAMPLE_ENV["WEBHOOK_URL"]
    (tmp_path / ".env").write_text(env.replace(f"SECRET_KEY={SAMPLE_ENV['SECRET_KEY']}", "SECRET_KEY="), "utf-8")
    refused = subprocess.run([*binary, "config"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
