"""A word language model (after pytorch/examples/word_language_model), smaller."""

from collections import OrderedDict

import torch
import torch.nn as nn


class RNNModel(nn.Module):
    def __init__(self, ntoken=50, ninp=16, nhid=24, nlayers=2, dropout=0.2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Sequential(
            OrderedDict([("proj", nn.Linear(nhid, ntoken)), ("out", nn.Identity())])
        )
        self.register_buffer("scale", torch.ones(1))
        self.nlayers = nlayers
        self.nhid = nhid

    def init_hidden(self, bsz):
        zeros = torch.zeros(self.nlayers, bsz, self.nhid)
        return (zeros, zeros)

    def forward(self, input, hidden=None):
        if hidden is None:
            hidden = self.init_hidden(input.size(1))
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output) * self.scale
        decoded = decoded.view(-1, self.ntoken)
        return torch.log_softmax(decoded, dim=1), hidden
