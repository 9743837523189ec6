"""``TextClassifier`` from the seed article "TensorFlow与PyTorch深度对比分析" (section 3.2,
"自然语言处理应用"), /work/shared/seeds/003_a93b397b86168242.txt.

Copied as published (line breaks restored). The PyTorch model itself runs as written; the
only change is a usage note: the article's TensorFlow twin starts with a ``TextVectorization``
layer that takes raw strings, but this model takes token ids already (integers in
``[0, vocab_size)``), so the input here is a batch of ids, not text.
"""

# 使用PyTorch实现相同功能
import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab_size=10000, embedding_dim=128):
        super(TextClassifier, self).__init__()  # noqa: UP008 - as in the article
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm1 = nn.LSTM(embedding_dim, 64, batch_first=True)
        self.lstm2 = nn.LSTM(64, 32, batch_first=True)
        self.classifier = nn.Sequential(
            nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid()
        )

    def forward(self, x):
        x = self.embedding(x)
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x)
        x = x[:, -1, :]  # 取最后一个时间步
        return self.classifier(x)


if __name__ == "__main__":
    model = TextClassifier()
    token_ids = torch.randint(0, 10000, (2, 20))  # 2 sentences of 20 token ids
    with torch.no_grad():
        probs = model(token_ids)
    print("output shape:", tuple(probs.shape))
