"""The member import benchmark still works: its tiny mode, run as the script it is."""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_member_import_benchmark_imports_everyone_and_leaves_a_sound_ledger():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.member_import", "--tiny")
    assert returncode == 0, stdout + stderr
    assert "check_ledger: clean" in stdout
    last, fields = result_fields(stdout, "member_import")
    for key in ("members", "read_s", "import_s", "members_per_s", "enrol_per_s", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
