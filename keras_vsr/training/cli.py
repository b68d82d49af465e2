"""`keras-vsr train FAMILY [options]`: run a training recipe.

    keras-vsr train --help                 # the families
    keras-vsr train srresnet --help        # a family's options and defaults
    keras-vsr train srresnet --data-root ../shared/data --run-dir runs/x4 --preset-dir presets/x4

Every family takes the run options of `keras_vsr.training.runs` (`--run-dir`,
`--preset-dir`, `--steps`, `--max-minutes`, `--deadline`, ...) and finds its
data below `--data-root` (or `KERAS_VSR_DATA`) unless given folders.
"""

import argparse

from keras_vsr.training.recipes import recipes


def add_train_parser(subparsers):
    """Add `train` with one sub-command per recipe family to an argparse `subparsers`.

    Each family's parser sets `family` and `run` (the recipe's `run`,
    taking the parsed arguments). Returns the `train` parser.
    """
    parser = subparsers.add_parser(
        "train",
        help="train a model family and write a preset with its model card",
        description="Train a model family: resumable runs, a preset folder with metadata and a model card.",
    )
    families = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for family, recipe in recipes().items():
        sub = families.add_parser(
            family,
            help=recipe.FAMILIES[family],
            description=recipe.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        recipe.add_arguments(sub, family)
        sub.set_defaults(run=recipe.run)
    return parser
