"""The training recipes, one module per model family (or group of families).

A recipe module defines

- `FAMILIES`: `{family name: one-line description}`, the names it trains
  (`keras-vsr train FAMILY`);
- `add_arguments(parser, family)`: the family's options, with their
  defaults (the settings of the bundled presets);
- `run(args)`: train, save the preset and write its model card; `args.family`
  says which family.

Every module of this package with `FAMILIES` is a recipe: a new family is
one new module here. Modules import Keras only inside their functions, so
listing the recipes does not load a backend.
"""

import importlib
import pkgutil


def recipes():
    """`{family: recipe module}` for every family of every recipe module, sorted by family."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for family in getattr(module, "FAMILIES", ()):
            if family in found:
                raise ValueError(f"Family {family!r} is in both {found[family].__name__} and {module.__name__}.")
            found[family] = module
    return dict(sorted(found.items()))


def get_recipe(family):
    """The recipe module that trains `family`.

    Raises:
        ValueError: no recipe trains `family` (the message lists the families).
    """
    found = recipes()
    if family not in found:
        raise ValueError(f"No training recipe for {family!r}. Families: {', '.join(found)}")
    return found[family]
