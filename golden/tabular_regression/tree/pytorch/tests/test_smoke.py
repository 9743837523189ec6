"""Smoke test: the model builds, gives the declared output shape and takes a training step."""

import torch

from model import TabularRegression


def test_forward_shape_and_one_step() -> None:
    torch.manual_seed(0)
    model = TabularRegression()
    inputs = torch.randn(4, 8)
    outputs = model(inputs)
    assert tuple(outputs.shape) == (4, 1)
    before = [p.detach().clone() for p in model.parameters()]
    outputs.float().pow(2).mean().backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert any(
        not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)
    )
