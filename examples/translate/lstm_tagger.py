"""Part-of-speech tagger, after the PyTorch tutorial "Sequence Models and LSTM Networks".

The tutorial feeds one sentence at a time; this version takes a batch of sentences
(``batch_first=True``) of word indices and returns per-token tag log-probabilities.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)

EMBEDDING_DIM = 32
HIDDEN_DIM = 48
VOCAB_SIZE = 100
TAGSET_SIZE = 12


class LSTMTagger(nn.Module):
    def __init__(
        self,
        embedding_dim=EMBEDDING_DIM,
        hidden_dim=HIDDEN_DIM,
        vocab_size=VOCAB_SIZE,
        tagset_size=TAGSET_SIZE,
    ):
        super(LSTMTagger, self).__init__()  # noqa: UP008
        self.hidden_dim = hidden_dim

        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

        # The LSTM takes word embeddings as inputs, and outputs hidden states
        # with dimensionality hidden_dim.
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)

        # The linear layer that maps from hidden state space to tag space
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)  # (batch, seq_len, embedding_dim)
        lstm_out, _ = self.lstm(embeds)  # (batch, seq_len, hidden_dim)
        tag_space = self.hidden2tag(lstm_out)  # (batch, seq_len, tagset_size)
        tag_scores = F.log_softmax(tag_space, dim=2)
        return tag_scores


if __name__ == "__main__":
    model = LSTMTagger()
    sentences = torch.randint(0, VOCAB_SIZE, (2, 12))
    with torch.no_grad():
        tag_scores = model(sentences)
    print("tag scores:", tag_scores.shape)
