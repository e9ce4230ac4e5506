"""Simulated jets for the book: Pythia 8 events, FastJet jets, 20x20 images and 16 substructure features.

The chapters use `load_dataset`; the command line (`python -m jetimages`) makes the data.
"""

from .dataset import JetDataset, load_dataset
from .environment import check_environment
from .features import FEATURE_NAMES
from .physics import JET_CLASSES, LABELS, SIMULATIONS
from .schema import simulation_file

__all__ = [
    "FEATURE_NAMES",
    "JET_CLASSES",
    "LABELS",
    "SIMULATIONS",
    "JetDataset",
    "check_environment",
    "load_dataset",
    "simulation_file",
]
