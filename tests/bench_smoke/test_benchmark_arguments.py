"""The benchmarks refuse arguments they cannot run with, saying why, before starting anything."""
import pytest

from tests.bench.campaign_budget import main as campaign_budget
from tests.bench.ledger_accrual import parse_preset
from tests.bench.rules_eval import main as rules_eval


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--seconds", "0"], ["--baskets", "0"]])
def test_the_rules_benchmark_refuses_an_empty_run(argv, capsys):
    with pytest.raises(SystemExit) as refused:
        rules_eval(argv)
    assert refused.value.code == 2
    assert "need a positive duration, at least one round and at least one basket" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--seconds", "0"], ["--clients", "0"],
                                  ["--clients", "4", "--members", "3"]])
def test_the_ledger_benchmark_refuses_an_empty_run(argv, capsys):
    with pytest.raises(SystemExit) as refused:
        parse_preset(argv)
    assert refused.value.code == 2
    assert "a positive duration and a round" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--clients", "4", "--members", "3"]])
def test_the_campaign_budget_benchmark_refuses_an_empty_run_before_starting_postgresql(argv, capsys):
    with pytest.raises(SystemExit) as refused:
        campaign_budget(argv)
    assert refused.value.code == 2
    assert "a positive duration and a round" in capsys.readouterr().err
