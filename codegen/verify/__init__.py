"""verify (floor 4): run generated projects, move weights, compare both frameworks and golden numbers.

Importing this package does not import torch or TensorFlow; `frameworks()` does, once.
"""
