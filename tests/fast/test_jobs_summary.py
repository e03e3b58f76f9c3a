from scheduler_kit.jobs_cli import main, summarize
from scheduler_kit.jobs_file import JobDefinition


def job(name, **kw):
    return JobDefinition(name=name, cron=kw.pop("cron", "0 9 * * 1"), service="svc", endpoint=f"/{name}", **kw)


def test_added_changed_removed_with_old_and_new_values_and_schedules_in_words():
    deployed = {j.name: j.as_dict() for j in [job("kept"), job("edited"), job("gone", cron="30 2 * * *")]}
    text = summarize(deployed, [job("kept"), job("edited", cron="0 10 * * 1", enabled=False), job("new")], "staging")
    assert "1 added, 1 changed, 1 removed." in text
    assert "| `new` | `0 9 * * 1` (At 09:00 AM, only on Monday, UTC) |" in text
    assert "cron: `0 9 * * 1` (At 09:00 AM, only on Monday, UTC) → `0 10 * * 1` (At 10:00 AM, only on Monday, UTC)" in text
    assert "enabled: `True` → `False`" in text
    assert "`gone`: was `30 2 * * *` (At 02:30 AM, UTC)" in text and "retired, not deleted" in text
    assert "`kept`" not in text


def test_no_changes_says_so():
    assert "No job changes." in summarize({"a": job("a").as_dict()}, [job("a")], "local")


def test_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "jobs.yaml"
    good.write_text("jobs:\n  - {name: a, cron: '0 9 * * 1', service: s, endpoint: /a}\n")
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("jobs:\n  - {name: a, cron: 'nope', service: s, endpoint: /a}\n")
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:2:" in capsys.readouterr().err
