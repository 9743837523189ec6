"""``SimpleModel`` from the seed article "TensorFlow与PyTorch深度对比分析" (section 1.2,
"PyTorch的设计哲学"), /work/shared/seeds/003_a93b397b86168242.txt.

Copied as published (the article's web page had lost its line breaks; they are restored).
The model has no bug, so nothing is changed apart from the ``__main__`` guard.
"""

# PyTorch基础示例
import torch
import torch.nn as nn


class SimpleModel(nn.Module):
    def __init__(self):
        super(SimpleModel, self).__init__()  # noqa: UP008 - as in the article
        self.dense = nn.Linear(784, 64)
        self.output = nn.Linear(64, 10)

    def forward(self, x):
        # 动态计算图:每次前向传播都会构建新的计算图
        hidden = torch.relu(self.dense(x))
        return torch.softmax(self.output(hidden), dim=1)


if __name__ == "__main__":
    # 实例化模型
    model = SimpleModel()
    x = torch.randn(32, 784)  # 32个样本,每个样本784维
    result = model(x)
    print(f"模型输出形状: {result.shape}")
