"""`python -m benchmarks` presets: `--quick` (the development subset) and `--real`; options given win."""

import argparse

from benchmarks import models, run


def _parse(argv):
    parser = argparse.ArgumentParser()
    run._arguments(parser)
    args = parser.parse_args(argv)
    args.argv = argv
    run.apply_presets(args)
    return args


def test_quick_runs_the_real_model_and_keras_mlp_briefly_unless_told_otherwise():
    full, quick = _parse([]), _parse(["--quick"])
    assert models.REAL_MODEL not in full.models and full.passes == 2
    assert quick.models == ["keras_mlp", models.REAL_MODEL] and quick.batches == [1] and quick.passes == 1
    assert quick.budget < full.budget and quick.no_memory and quick.no_first_result and quick.load_models == []
    given = _parse(["--quick", "--batches", "4", f"--load-models={models.REAL_MODEL}"])
    assert given.batches == [4] and given.load_models == [models.REAL_MODEL] and given.budget == quick.budget


def test_real_runs_every_real_model_for_calls_loads_first_output_and_memory():
    real = _parse(["--real"])
    for option in ("models", "load_models", "first_result_models", "memory_models"):
        assert getattr(real, option) == list(models.REAL_MODELS), option
    assert real.batches == [1] and real.no_keras_jax and not real.no_memory
    real_quick = _parse(["--real", "--quick", "--models", models.BERT_MODEL])
    assert real_quick.models == [models.BERT_MODEL] and real_quick.passes == 1 and real_quick.no_memory
    assert _parse(["--real", "--quick"]).models == list(models.REAL_MODELS)
