"""The chapters' toolkit: what the chapters import to train, score, plot and quote their models.

- `training`: splits, standardisation, the training loop with its recipes, scores
- `results`: benchmark results stored in benchmarks/results/ and the tables the chapters show
- `jetplots`: the book's colours and jet-image plots
- `diagrams`: drawings of networks and convolutions
- `prose`: `glue`, a number of the run for the chapter's text ({eval}), website and JupyterLab
"""
