"""The observed access matrix (python -m scheduler_kit.access_matrix) of the session's deployment: what it records
is what happened, its JSON is stable, and its HTML page renders in a real headless Chromium with the cells a reader
looks for, differing cells marked."""

from __future__ import annotations

import html.parser
import json

import psycopg
import pytest
import yaml

from scheduler_kit.access.cells import MATRIX_PATH
from scheduler_kit.access.observe import ObserveError, observe
from scheduler_kit.access.render import to_json
from scheduler_kit.access_matrix import main as matrix_main
from scheduler_kit.access_matrix import write
from tests.support.browser import rendered_dom, screenshot


class _Cells(html.parser.HTMLParser):
    """The grid's cells from the rendered DOM: data-cell -> (observed, expected, classes, text)."""

    def __init__(self):
        super().__init__()
        self.cells, self._open, self._text = {}, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-cell" in attrs:
            self._open, self._text = attrs, []

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            a = self._open
            self.cells[a["data-cell"]] = (a["data-observed"], a["data-expected"], a["class"].split(), "".join(self._text))
            self._open = None


@pytest.fixture(scope="module")
def wrong_matrix(tmp_path_factory, cluster):
    """The matrix file with two cells deliberately wrong, so the page has something to mark."""
    document = yaml.safe_load(MATRIX_PATH.read_text())
    document["tables"]["scheduled_jobs"]["SELECT"][2] = "rows"  # regular: the database says zero
    document["functions"]["purge_job_execution_history"]["EXECUTE"][0] = "denied"  # service: it says rows
    path = tmp_path_factory.mktemp("matrix") / "access_matrix.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def observed(deployed, cluster, wrong_matrix):
    return observe(deployed.actor_dsn, cluster.target, wrong_matrix)


def test_it_records_what_it_observes_not_what_the_file_expects(observed):
    differing = {(c.row, c.cell.actor): (c.observed, c.cell.expected) for c in observed.differing}
    assert differing == {("scheduled_jobs SELECT", "regular"): ("zero", "rows"),
                         ("purge_job_execution_history EXECUTE", "service"): ("rows", "denied")}
    by_key = observed.by_key()
    admin_update = by_key[("job_schedules UPDATE enabled", "admin")]
    assert admin_update.observed == "rows" and set(admin_update.by_variant) == {
        "audience list with ours", "plain", "without exp", "without kid"}
    cause = admin_update.causes[0]
    assert cause["role"] == "authenticated" and cause["privilege"]["held"]
    assert "UPDATE on job_schedules(enabled) to authenticated (column grant)" in cause["privilege"]["grants"]
    assert {p["name"] for p in cause["row_security"][0]["policies"]} == {
        "job_schedules_update_admin_service", "job_schedules_select_admin_service"}
    anon = by_key[("scheduled_jobs SELECT", "anon")].causes[0]
    assert not anon["privilege"]["held"] and anon["privilege"]["grants"] == []


def test_the_page_renders_in_headless_chromium_with_the_cells_marked(observed, tmp_path):
    paths = write(observed, tmp_path)
    dom = rendered_dom(paths["html"])
    parser = _Cells()
    parser.feed(dom)
    assert len(parser.cells) == len(observed.cells)
    observed_word, expected, classes, text = parser.cells["admin:job_schedules SELECT"]
    assert (observed_word, expected, text) == ("rows", "rows", text) and "differs" not in classes
    assert text.startswith("rows") and "policies job_schedules_select_admin_service" in text
    observed_word, expected, classes, text = parser.cells["regular:scheduled_jobs SELECT"]
    assert (observed_word, expected) == ("zero", "rows") and "differs" in classes and "≠ expected rows" in text
    assert "differs" in parser.cells["service:purge_job_execution_history EXECUTE"][2]
    assert sum("differs" in c[2] for c in parser.cells.values()) == 2
    assert '<b id="differing">2</b>' in dom
    png = screenshot(paths["html"], tmp_path / "matrix.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_a_database_without_the_kit_is_an_error_that_says_so(cluster):
    database = cluster.create_database("schedkit_empty")
    try:
        with pytest.raises(ObserveError, match="the kit is not deployed there"):
            observe(cluster.actor_dsn_for(database), cluster.target)
    finally:
        cluster.drop_database(database)


def test_the_command_exits_1_with_exit_code_when_cells_differ_and_its_json_is_stable(
        observed, deployed, cluster, wrong_matrix, tmp_path, capsys):
    status = matrix_main(["--authenticator-dsn", deployed.actor_dsn, "--target", cluster.target,
                          "--matrix", str(wrong_matrix), "--out", str(tmp_path), "--exit-code"])
    assert status == 1
    assert "**zero** ≠ rows" in (tmp_path / "access-matrix.md").read_text()
    # A second run over the same database writes the same JSON, byte for byte (new keys, same tokens' shapes).
    written = (tmp_path / "access-matrix.json").read_text()
    assert written == to_json(observed)
    document = json.loads(written)
    assert [c["actor"] for c in document["cells"][:9]] == document["actors"]
    with psycopg.connect(deployed.dsn) as conn:  # it left nothing behind
        assert conn.execute("SELECT count(*) FROM public.job_schedules WHERE job_name LIKE 'matrix-%'").fetchone()[0] == 0
