"""`python -m benchmarks --quick`: the development subset, where options given still win."""

import argparse

from benchmarks import models, run


def _parse(argv):
    parser = argparse.ArgumentParser()
    run._arguments(parser)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.quick:
        run._apply_quick(args)
    return args


def test_quick_runs_the_real_model_and_keras_mlp_briefly_unless_told_otherwise():
    full, quick = _parse([]), _parse(["--quick"])
    assert models.REAL_MODEL in full.models and models.REAL_MODEL in full.load_models
    assert quick.models == ["keras_mlp", models.REAL_MODEL] and quick.batches == [1]
    assert quick.budget < full.budget and quick.no_memory and quick.no_first_result and quick.load_models == []
    given = _parse(["--quick", "--batches", "4", f"--load-models={models.REAL_MODEL}"])
    assert given.batches == [4] and given.load_models == [models.REAL_MODEL] and given.budget == quick.budget
