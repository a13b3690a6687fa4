"""Post-processing helpers for anneal HDF5 outputs (h5py + matplotlib).

    python3 -m anneal_post render out.h5 pressure -o p.png --axis y
"""

from .fields import PostError, Slice, dataset_path, read_slice
from .render import plot_slice, render, save_png

__version__ = "0.1.0"
__all__ = ["PostError", "Slice", "dataset_path", "read_slice", "plot_slice", "render", "save_png"]
