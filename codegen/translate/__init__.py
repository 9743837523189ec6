"""PyTorch source → TensorFlow source (or a dlgen spec), with libcst (floor 3).

`translate_source` rewrites one file's text; `driver.translate_path` handles files, folders and
safe writing; `spec_extract.spec_yaml` writes a spec for stack models. Nothing here imports
torch or tensorflow.
"""

from .api import Translation, translate_source

__all__ = ["Translation", "translate_source"]
