"""One module per verb of the ``segbench`` command. Each has ``register(verbs)``, which adds its parser (and its
actions' parsers) and sets the handler that ``segbench.cli.main`` calls, and ``NEEDS_KERAS``: whether its work
builds models, so that Keras is loaded first and quietly, either for the whole verb (a bool) or for the actions
named (a set), and may have ``OUT_OF_MEMORY``: what to try when memory runs out (by default a smaller
model.input_size or train.batch_size), and ``check(args)``: what it refuses before Keras loads. Modules import only what loads no deep-learning framework at their top; the
handlers import the rest when they run."""

from segbench.commands import (
    bench,
    compare,
    datasets,
    env,
    evaluate,
    export,
    models,
    predict,
    report,
    results,
    run,
    sweep,
    weights,
)

# In the order `segbench --help` lists them.
VERBS = {"run": run, "sweep": sweep, "evaluate": evaluate, "predict": predict, "export": export, "results": results,
         "compare": compare, "report": report, "datasets": datasets, "models": models, "weights": weights,
         "bench": bench, "env": env}
