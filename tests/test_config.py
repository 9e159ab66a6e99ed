"""Settings: defaults < file < environment < flags, validated once with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from overcast.config import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings(env={})
    assert (settings.host, settings.port, settings.default_account) == ("127.0.0.1", 4566, "000000000000")
    assert settings.sqlite_path == Path(".overcast/overcast.db")


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    config = tmp_path / "overcast.toml"
    config.write_text('port = 5000\nhost = "0.0.0.0"\ndefault-region = "eu-west-1"\n')
    env = {"OVERCAST_PORT": "6000", "OVERCAST_CONFIG": str(config), "OVERCAST_DATA_DIR": "/tmp/oc"}
    settings = load_settings(flags={"port": 7000}, env=env)
    assert settings.port == 7000
    assert settings.host == "0.0.0.0"
    assert settings.default_region == "eu-west-1"
    assert settings.data_dir == Path("/tmp/oc")
    assert load_settings(env=env).port == 6000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OVERCAST_PORT": "abc"}, "setting 'port': expected a whole number, got 'abc'"),
        ({"OVERCAST_PORT": "70000"}, "70000 is not a TCP port"),
        ({"OVERCAST_DEFAULT_ACCOUNT": "12"}, "'12' is not a 12-digit account id"),
        ({"OVERCAST_STORE_URL": "mysql://x"}, "is not a postgresql:// URL"),
        ({"OVERCAST_NATS_URL": "http://x"}, "is not a nats:// URL"),
        ({"OVERCAST_LOG_LEVEL": "loud"}, "is not a log level"),
        ({"OVERCAST_NATS_STREAM_MAX_BYTES": "9000000000"}, "'nats_stream_max_bytes': 9000000000 must be"),
        ({"OVERCAST_CPU_PERIOD_US": "999"}, "'cpu_period_us': must be 1000 to 1000000 (the kernel's CFS period"),
        ({"OVERCAST_CPU_PERIOD_US": "1000001"}, "'cpu_period_us': must be 1000 to 1000000"),
        ({"OVERCAST_FREEZE_AFTER_MS": "1001"}, "'freeze_after_ms': must be 0 to 1000, got 1001"),
        ({"OVERCAST_FREEZE_AFTER_MS": "-1"}, "'freeze_after_ms': must not be negative, got -1"),
        ({"OVERCAST_CONFIG": "/nonexistent/overcast.toml"}, "does not exist"),
    ],
)
def test_bad_settings_are_refused_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env=env)


def test_unknown_key_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(env={}, config_file=config)
    config.write_text("port = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(env={}, config_file=config)


def test_hot_reload_roots(tmp_path: Path) -> None:
    assert load_settings(env={}).hot_reload_roots == (Path.cwd(), Path.home())  # where Overcast started, and ~
    env = {"OVERCAST_HOT_RELOAD_ROOTS": "/srv/code:~/work"}
    assert load_settings(env=env).hot_reload_roots == (Path("/srv/code"), Path.home() / "work")
    config = tmp_path / "overcast.toml"
    config.write_text('hot-reload-roots = ["/srv/a", "b"]\n')
    assert load_settings(env={}, config_file=config).hot_reload_roots == (Path("/srv/a"), Path.cwd() / "b")
    assert load_settings(env={"OVERCAST_HOT_RELOAD_ROOTS": ""}).hot_reload_roots == ()  # hot reloading off


def test_function_internet_can_be_turned_off_for_ci() -> None:
    assert load_settings(env={}).function_internet is True
    assert load_settings(env={"OVERCAST_FUNCTION_INTERNET": "false"}).function_internet is False


def test_idle_instances_are_frozen_5_ms_after_their_invocation_unless_told_otherwise() -> None:
    assert load_settings(env={}).freeze_after_ms == 5
    assert load_settings(env={"OVERCAST_FREEZE_AFTER_MS": "0"}).freeze_after_ms == 0


def test_cpu_period_defaults_to_5_ms_and_follows_the_environment() -> None:
    assert load_settings(env={}).cpu_period_us == 5_000
    assert load_settings(env={"OVERCAST_CPU_PERIOD_US": "100000"}).cpu_period_us == 100_000
