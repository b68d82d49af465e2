"""Training: the run machinery every recipe shares, and the recipes.

- `runs`: the run options, the run folder, resumable fitting within a step
  count, a training-time budget and a deadline, the facts a card states.
- `callbacks`: `WallClock`, `Deadline`, `SetValidation` (these load Keras;
  the other modules do not).
- `model_card`: `metadata.json` and the `README.md` model card, one template.
- `recipes`: one module per model family (`keras-vsr train FAMILY`).
- `cli`: the `train` command.
"""
