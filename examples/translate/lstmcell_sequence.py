"""Step-by-step sequence model with ``nn.LSTMCell``, after pytorch/examples/time_sequence_prediction.

Instead of one ``nn.LSTM`` call, the recurrence is unrolled in a Python ``for`` loop over
time steps, the per-step outputs are collected in a list and stacked at the end.
"""

import torch
from torch import Tensor, nn


class Sequence(nn.Module):
    def __init__(self, input_size: int = 10, hidden_size: int = 24, output_size: int = 1) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm1 = nn.LSTMCell(input_size, hidden_size)
        self.lstm2 = nn.LSTMCell(hidden_size, hidden_size)
        self.linear = nn.Linear(hidden_size, output_size)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x: (batch, time, input_size) -> (per-step predictions, last hidden state)."""
        batch_size = x.size(0)
        h_t = torch.zeros(batch_size, self.hidden_size, dtype=x.dtype, device=x.device)
        c_t = torch.zeros(batch_size, self.hidden_size, dtype=x.dtype, device=x.device)
        h_t2 = torch.zeros(batch_size, self.hidden_size, dtype=x.dtype, device=x.device)
        c_t2 = torch.zeros(batch_size, self.hidden_size, dtype=x.dtype, device=x.device)

        outputs = []
        for t in range(x.size(1)):
            input_t = x[:, t, :]
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            outputs.append(self.linear(h_t2))
        out = torch.stack(outputs, dim=1)  # (batch, time, output_size)
        hidden = h_t2
        return out, hidden


if __name__ == "__main__":
    seq = Sequence()
    inputs = torch.randn(2, 7, 10)
    with torch.no_grad():
        out, hidden = seq(inputs)
    print("predictions:", tuple(out.shape), "hidden:", tuple(hidden.shape))
