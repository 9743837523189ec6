"""The Spec (floor 2): typed model of a project and its YAML loader."""

from .loader import Layer, LoadedSpec, load_spec, load_spec_text
from .model import Spec

__all__ = ["Layer", "LoadedSpec", "Spec", "load_spec", "load_spec_text"]
