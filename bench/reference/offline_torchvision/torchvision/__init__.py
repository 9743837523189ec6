"""A minimal, offline stand-in for the parts of torchvision that bench/corpus_scripts.py's
PyTorch sources use (PyPI's torchvision does not import beside this machine's torch, and no
data can be downloaded): MNIST read from root/MNIST/raw, ToTensor / Normalize / Compose /
Lambda, and utils.save_image. Written for the bench, with torchvision's documented behaviour
for those calls; nothing else of torchvision is here."""

from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
