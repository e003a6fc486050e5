"""The rules compiled to C (engine.native) give exactly what their Python sources give: the
rules benchmark's 60 rules on 400 random baskets, evaluated by each in its own process, the
points per line and every award compared."""
import os
import subprocess
import sys

import pytest

from engine import native

EVALUATE = """
import hashlib
from engine import native
from engine.rules.compiled import CompiledRuleSet
from tests.bench.rules_eval import programme, workload
rules = CompiledRuleSet(programme())
digest = hashlib.sha256()
for basket, sale, member, eligible, base, usage in workload(400, seed=11):
    totals, awards = rules.evaluate(basket, sale=sale, member=member, eligible=eligible, base=base, usage=usage)
    digest.update(repr((totals, [(a.rule_key, a.version, a.campaign, a.desired, a.applied, a.lines, a.capped_by)
                                 for a in awards])).encode())
print(all(native.running_compiled().values()), digest.hexdigest())
"""


def evaluated(**env: str) -> tuple[str, str]:
    finished = subprocess.run([sys.executable, "-c", EVALUATE], cwd=native.ROOT, capture_output=True, text=True,
                              check=True, env={**os.environ, **env}, timeout=120)
    compiled, digest = finished.stdout.split()
    return compiled, digest


@pytest.mark.skipif(not native.build_is_current(), reason="the compiled modules are not built from these sources "
                    "(scripts/test builds them)")
def test_the_compiled_rules_give_what_their_sources_give():
    compiled, by_compiled = evaluated(LOYALTY_NATIVE="on")
    python, by_sources = evaluated(LOYALTY_NATIVE="off")
    assert (compiled, python) == ("True", "False")
    assert by_compiled == by_sources
