"""dlgen: generate the same deep-learning model as PyTorch and TensorFlow projects."""

__version__ = "0.1.0"
