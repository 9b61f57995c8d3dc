"""``rlvr eval``: the Lingshu benchmark table, scored by the same verifiers that train.

Entry points: ``rlvr.eval.cli.main`` (the command) and ``rlvr.eval.runner.run_eval(cfg)``.
"""
