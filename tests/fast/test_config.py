import pytest

from scheduler_kit.config import ConfigError, settings_from_mapping

BASE = {"host": "db.example.internal", "password": "s3cret"}


def test_defaults_follow_the_seed_and_protect_history_off_local():
    settings = settings_from_mapping(BASE, stack_name="staging")
    assert settings.admin.table == "public.users"
    assert (settings.admin.id_column, settings.admin.role_column, settings.admin.admin_value) == ("clerk_user_id", "role", "admin")
    assert settings.protect_history is True
    assert settings_from_mapping(BASE, stack_name="local").protect_history is False


def test_supabase_defaults_to_tls_and_skips_the_base():
    settings = settings_from_mapping({**BASE, "target": "supabase"})
    assert settings.connection.sslmode == "require"
    assert not settings.creates_supabase_base


@pytest.mark.parametrize(
    "override, key",
    [
        ({"host": None}, "scheduler-kit:host"),
        ({"port": "70000"}, "scheduler-kit:port"),
        ({"port": "five"}, "scheduler-kit:port"),
        ({"target": "mysql"}, "scheduler-kit:target"),
        ({"sslmode": "sometimes"}, "scheduler-kit:sslmode"),
        ({"protectHistory": "maybe"}, "scheduler-kit:protectHistory"),
        ({"adminTable": "users; drop table x"}, "scheduler-kit:adminTable"),
        ({"adminIdColumn": "clerk id"}, "scheduler-kit:adminIdColumn"),
    ],
)
def test_bad_settings_name_the_key(override, key):
    with pytest.raises(ConfigError) as error:
        settings_from_mapping({**BASE, **override})
    assert key in str(error.value)


def test_the_password_never_appears_in_the_redacted_form_or_repr():
    settings = settings_from_mapping(BASE)
    assert "s3cret" not in settings.connection.redacted()
    assert "s3cret" not in repr(settings)
    assert settings_from_mapping(BASE, with_password=False).connection.password is None
