"""Layers and functions, one table: each PyTorch spelling (module and functional, several
argument combinations) is translated by `dlgen translate` and the translated function's output
is compared with torch's on the same input, in float32, at batch 2 and 1 (issue #27's
data-driven tests). Layers with running statistics or dropout are compared in inference mode
(the translated layer called as a plain function is in inference mode)."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
pytest.importorskip("tensorflow")

# A PyTorch expression of the tensor `x` (shape batch x 6 x 4).
CASES = [
    "nn.Hardtanh()(x)",
    "nn.Hardtanh(-2.0, 0.5)(x)",
    "nn.Hardtanh(min_val=-0.25, max_val=0.75, inplace=False)(x)",
    "nn.LogSigmoid()(x)",
    "nn.Tanhshrink()(x)",
    "nn.Softshrink()(x)",
    "nn.Softshrink(0.3)(x)",
    "nn.Hardshrink(lambd=0.2)(x)",
    "nn.Threshold(0.1, 20.0)(x)",
    "nn.Softmin(dim=1)(x)",
    "nn.CELU(alpha=0.5)(x)",
    "nn.GLU()(x)",
    "nn.GLU(dim=1)(x)",
    "F.hardtanh(x)",
    "F.hardtanh(x, -0.5, 0.5)",
    "F.logsigmoid(x)",
    "F.tanhshrink(x)",
    "F.softshrink(x, 0.4)",
    "F.hardshrink(x)",
    "F.threshold(x, 0.2, -1.0)",
    "F.softmin(x, dim=-1)",
    "F.softmin(x + 1, 0)",
    "F.celu(x, alpha=2.0)",
    "F.glu(x)",
    "F.glu(x, dim=1)",
    # in-place spellings, on a temporary (the statement form is tested below)
    "F.relu_(x + 0)",
    "F.elu_(x * 1)",
    "F.selu_(x - 1)",
    "F.celu_(x + 0, 2.0)",
    "F.leaky_relu_(x * 1, 0.3)",
    "F.hardtanh_(x + 0, -0.5, 0.5)",
    "F.threshold_(x + 0, 0.1, 2.0)",
    "F.rrelu(x)",
    "F.rrelu(x, 0.2, 0.4)",
    "F.rrelu_(x + 0, training=False)",
    "F.prelu(x, torch.tensor([0.25]))",
    "F.prelu(x, torch.arange(6.0) / 10)",
    # a transpose: tf.Tensor has no .T
    "torch.relu(x).mT",
    "torch.relu(x)[0].T",
    # the rules older than this table
    "nn.ReLU()(x)",
    "nn.ReLU(inplace=True)(x + 0)",
    "nn.ELU()(x)",
    "nn.LeakyReLU(0.2)(x)",
    "nn.LeakyReLU()(x)",
    "nn.GELU()(x)",
    "nn.GELU(approximate='tanh')(x)",
    "nn.SiLU()(x)",
    "nn.Mish()(x)",
    "nn.Hardswish()(x)",
    "nn.Hardsigmoid()(x)",
    "nn.ReLU6()(x)",
    "nn.SELU()(x)",
    "nn.Softplus()(x)",
    "nn.Softplus(beta=2.0, threshold=5.0)(x)",
    "nn.Softsign()(x)",
    "nn.Sigmoid()(x)",
    "nn.Tanh()(x)",
    "nn.Softmax(dim=1)(x)",
    "nn.LogSoftmax(dim=-1)(x)",
    "nn.Flatten()(x)",
    "nn.Identity()(x)",
    "F.relu(x)",
    "F.elu(x)",
    "F.gelu(x)",
    "F.gelu(x, approximate='tanh')",
    "F.hardsigmoid(x)",
    "F.hardswish(x)",
    "F.mish(x)",
    "F.relu6(x)",
    "F.selu(x)",
    "F.sigmoid(x)",
    "F.silu(x)",
    "F.softmax(x, dim=1)",
    "F.softplus(x, beta=2)",
    "F.softsign(x)",
    "F.tanh(x)",
    "F.normalize(x, dim=1)",
    "F.normalize(x)",
    "F.dropout(x, 0.5, training=False)",
    "F.pad(x, (1, 2))",
    "F.pad(x, (1, 1, 2, 0), value=0.5)",
    "F.pad(x, (2, 1), mode='reflect')",
    "F.pad(x, (1, 1), mode='replicate')",
    "F.pad(x, (1, 1), mode='circular')",
    "torch.max(x)",
    "torch.max(x, 1)[0]",
    "torch.max(x, dim=2)[1]",
    "torch.min(x, 1)[1]",
    "torch.min(x)",
    "torch.eye(4) + x[0, 0, 0]",
    "torch.eye(3, 5) * x[0, 0, 1]",
    "torch.diag(x[0, :, 0])",
    "torch.diag(x[0, :, 1], 1)",
    "torch.diag(x[0, :4, :4], -1)",
    "torch.diag(x[0])",
    # the corpus's most called functions and methods (bench/api_usage.py), each spelling
    "x.cos() + x.sin()",
    "(x + 0).cos_()",
    "x.cumsum(1)",
    "torch.cumsum(x, dim=-1)",
    "x.cumsum(2, dtype=torch.float64)",
    "x.flip(1)",
    "torch.flip(x, [1, 2])",
    "x.flip(dims=(2,))",
    "x.argsort()",
    "torch.argsort(x, dim=1, descending=True)",
    "x.argsort(1, False)",
    # std and var with PyTorch's default correction (N - 1), or another, or none
    "x.std()",
    "x.var(1, keepdim=True)",
    "torch.std(x, dim=(0, 2))",
    "torch.var(x, 1, True, True)",
    "x.std(dim=-1, correction=2)",
    "torch.std(x, 1, unbiased=False)",
    "x.var(correction=0)",
    # Bernoulli draws, at the probabilities that make them certain (efficientnet's drop path)
    "(x * 0).bernoulli_(1.0)",
    "(x * 0 + 1).bernoulli_(0.0)",
    "torch.ones_like(x).bernoulli()",
    # (values, indices) with one taken at once, of any expression (pointnet's max pool)
    "torch.max(x * 2, 1)[0]",
    "x.max(2, keepdim=True)[1]",
    "torch.min(x + 1, dim=-1, keepdim=True)[0]",
    "(x - 1).min(1)[1]",
    "x.topk(2)[0]",
    "x.topk(3, dim=1)[1]",
    "torch.topk(x, 2, largest=False)[0]",
    "torch.topk(x, 4, 1, True, True).indices",
    "x.gather(1, torch.argsort(x, dim=1)[:, :3])",
    "torch.gather(x, 2, torch.zeros_like(x, dtype=torch.long)[:, :, :2])",
    "x.index_select(1, torch.tensor([0, 2, 5]))",
    "torch.index_select(x, 2, torch.tensor([3, 0]))",
    "x.narrow(1, 2, 3)",
    "torch.narrow(x, 2, 0, 1)",
    "x.unbind(1)[4]",
    "torch.unbind(x, dim=2)[0]",
    "x.repeat_interleave(2, dim=1)",
    "torch.repeat_interleave(x, 3)",
    "x[:, :1].expand_as(x)",
    "x.any(dim=1).float()",
    "(x > 2).all(2, keepdim=True).float()",
    "torch.any(x > 4).float()",
    "x.norm()",
    "x.norm(dim=1)",
    "x.norm(p=2, dim=2, keepdim=True)",
    "torch.norm(x, 1, dim=1)",
    "x.norm(dim=(1, 2))",
    "(x > 1).nonzero()",
    "torch.nonzero(x[0] > 0)",
    "torch.round(x).unique()",
    "torch.unique(torch.round(x[0]))",
    "x.new_zeros((2, 3)) + x[0, 0, 0]",
    "x.new_ones(5) * x[0, 1, 1]",
    "x.new_full((2, 2), 3.5)",
    "x.new_zeros(3, dtype=torch.int64)",
    "x.new_zeros(2, 3, 4) + x[0, 0, 0]",  # word_language_model's init_hidden
    "x.new_ones(1, 2, dtype=torch.float64)",
    "x.type(torch.int32)",
    "(x > 0).type(torch.float32) * x",
    "torch.split(x, 2, dim=1)[2]",
    "torch.split(x, [1, 3], 2)[1]",
    "torch.split(x, 4, dim=1)[1]",
    "torch.einsum('bij,bkj->bik', x, x)",
    "torch.einsum('bij->bj', [x])",
    "torch.linspace(0, 1, 5) + x[0, 0, 0]",
    "torch.linspace(-2, 2, steps=7, dtype=torch.float64)",
    "torch.meshgrid(torch.arange(3.0), torch.arange(2.0))[0] * x[0, 0, 0]",
    "torch.meshgrid(x[0, :, 0], x[0, 0, :], indexing='xy')[1]",
    "torch.is_tensor(x) * x",
    "torch.randperm(7).float().mean() + x",  # a permutation of 0..6 whatever its order
    "x.masked_fill_(x > 0, 0.5)",
    # the legacy constructors and the autograd wrapper (pygcn, pointnet, older tutorials)
    "torch.FloatTensor([[1.5, 2.0]]) * x[:, :1, :2]",
    "torch.LongTensor([3, 1]) + torch.argmax(x[0, :2], 1)",
    "torch.FloatTensor(np.ones((2, 4))) + x[0, :2]",
    "torch.FloatTensor(2, 3).shape[0] * x",
    "torch.Tensor(4).shape[0] * x",
    "torch.DoubleTensor((1.0, 2.0)).float().sum() * x",
    "torch.autograd.Variable(x) * 2",
    "torch.autograd.Variable(x, requires_grad=True) + 1",
]
# (expression, its torch reference in inference mode, the shape of x after the batch).
LAYERS = [
    ("nn.BatchNorm3d(4)(x)", "nn.BatchNorm3d(4).eval()(x)", (4, 3, 5, 2)),
    ("nn.BatchNorm3d(4, eps=1e-3)(x)", "nn.BatchNorm3d(4, eps=1e-3).eval()(x)", (4, 3, 5, 2)),
    ("nn.Dropout3d(0.5)(x)", "nn.Dropout3d(0.5).eval()(x)", (4, 3, 5, 2)),
    ("nn.InstanceNorm1d(6)(x)", "nn.InstanceNorm1d(6)(x)", (6, 7)),
    ("nn.RReLU()(x)", "nn.RReLU().eval()(x)", (6, 7)),
    ("nn.RReLU(0.1, 0.5, True)(x)", "nn.RReLU(0.1, 0.5).eval()(x)", (6, 7)),
    ("nn.PReLU(6, 0.1)(x)", "nn.PReLU(6, 0.1)(x)", (6, 7)),
    ("nn.InstanceNorm3d(4)(x)", "nn.InstanceNorm3d(4)(x)", (4, 3, 5, 2)),
    ("nn.InstanceNorm3d(4, eps=0.1)(x)", "nn.InstanceNorm3d(4, eps=0.1)(x)", (4, 3, 5, 2)),
    *(
        (expression, expression, (6, 9))
        for expression in (
            "nn.MaxPool1d(3)(x)",
            "nn.MaxPool1d(3, 2, 1, ceil_mode=True)(x)",
            "nn.MaxPool1d(kernel_size=(2,), stride=1)(x)",
            "nn.AvgPool1d(3, 2, 1)(x)",
            "nn.AvgPool1d(2, padding=1, count_include_pad=False)(x)",
            "nn.AvgPool1d(4, ceil_mode=True)(x)",
            "nn.AdaptiveAvgPool1d(4)(x)",
            "nn.AdaptiveMaxPool1d(1)(x)",
            "F.max_pool1d(x, 2)",
            "F.avg_pool1d(x, 3, stride=1, padding=1)",
            "F.adaptive_avg_pool1d(x, 5)",
            "F.adaptive_max_pool1d(x, 3)",
            "nn.ZeroPad1d(2)(x)",
            "nn.ReflectionPad1d((1, 2))(x)",
            "nn.ReplicationPad1d(3)(x)",
            "nn.ConstantPad1d((2, 1), 0.5)(x)",
            "nn.CircularPad1d(2)(x)",
        )
    ),
    ("nn.CircularPad2d((1, 1, 2, 0))(x)", "nn.CircularPad2d((1, 1, 2, 0))(x)", (4, 5, 6)),
    ("nn.PixelUnshuffle(2)(x)", "nn.PixelUnshuffle(2)(x)", (3, 4, 6)),
    # PyTorch's positional order: nn.MaxPool2d's fifth is return_indices, F's sixth ceil_mode
    (
        "nn.MaxPool2d(3, 2, 1, 1, False, True)(x)",
        "nn.MaxPool2d(3, 2, 1, 1, False, True)(x)",
        (3, 8, 8),
    ),
    ("F.max_pool2d(x, 3, 2, 1, 1, True)", "F.max_pool2d(x, 3, 2, 1, 1, True)", (3, 8, 8)),
    ("nn.AdaptiveMaxPool2d(3, False)(x)", "nn.AdaptiveMaxPool2d(3, False)(x)", (3, 8, 8)),
    ("F.max_pool1d(x, 2, return_indices=False)", "F.max_pool1d(x, 2)", (3, 8)),
    ("F.pixel_unshuffle(x, 3)", "F.pixel_unshuffle(x, 3)", (2, 6, 9)),
    *(
        (expression, expression, (3, 4, 5))
        for expression in (
            "nn.Softmax2d()(x)",
            "nn.UpsamplingNearest2d(scale_factor=2)(x)",
            "nn.UpsamplingNearest2d(size=(6, 7))(x)",
            "nn.UpsamplingBilinear2d(scale_factor=2)(x)",
            "nn.UpsamplingBilinear2d((7, 9))(x)",
            "F.upsample_nearest(x, scale_factor=3)",
            "F.upsample_bilinear(x, size=(5, 8))",
            "F.linear(x, torch.ones(2, 5))",
            "F.linear(x, torch.ones(2, 5) / 3, torch.ones(2))",
            "F.one_hot((x > 0).long(), 2)",
            "F.one_hot((x > 0).long(), num_classes=3)",
            "nn.Unflatten(1, (3, 1))(x)",
            "nn.Unflatten(-1, (5, 1))(x)",
            "nn.Unflatten(2, (2, -1))(x)",
            "torch.unflatten(x, 3, (1, 5))",
            "F.embedding((x > 0).long(), torch.ones(2, 3) * 2)",
            "F.embedding((x > 0).long(), torch.ones(2, 3), None)",
        )
    ),
    *(
        (expression, expression, (6, 9))
        for expression in (
            "F.conv1d(x, (torch.arange(72.0) * 0.028169 + -1).reshape(4, 6, 3))",
            "F.conv1d(x, (torch.arange(36.0) * 0.0571429 + -1).reshape(4, 3, 3), torch.ones(4), 2, 1, 1, 2)",
            "F.conv1d(x, (torch.arange(72.0) * 0.028169 + -1).reshape(4, 6, 3), padding='same', dilation=2)",
            "F.conv1d(x, (torch.arange(72.0) * 0.028169 + -1).reshape(4, 6, 3), stride=2, dilation=2)",
            "F.dropout1d(x, 0.3, training=False)",
        )
    ),
    *(
        (expression, expression, (4, 5, 6))
        for expression in (
            "F.conv2d(x, (torch.arange(108.0) * 0.0186916 + -1).reshape(3, 4, 3, 3), padding=1)",
            "F.conv2d(x, (torch.arange(16.0) * 0.133333 + -1).reshape(4, 1, 2, 2), groups=4, stride=(1, 2))",
            "F.layer_norm(x, (5, 6))",
            "F.layer_norm(x, x.shape[-1:], (torch.arange(6.0) * 0.2 + 0.5), torch.ones(6))",
            "F.group_norm(x, 2)",
            "F.group_norm(x, 4, (torch.arange(4.0) * 0.333333 + 0.5), torch.zeros(4) + 0.1, eps=1e-3)",
            "F.instance_norm(x)",
            "F.instance_norm(x, weight=torch.ones(4) * 2, bias=torch.ones(4))",
            "F.batch_norm(x, torch.zeros(4) + 0.1, torch.ones(4) * 2)",
            "F.batch_norm(x, None, None, training=True)",
            "F.batch_norm(x, torch.zeros(4), torch.ones(4), torch.ones(4) * 3, None, False, 0.1, 1e-3)",
            "F.rms_norm(x, (6,))",
            "F.rms_norm(x, [5, 6], (torch.arange(30.0) * 0.0344828 + 0.5).reshape(5, 6), 1e-4)",
            "nn.RMSNorm(6)(x)",
            "nn.RMSNorm([5, 6], eps=1e-3)(x)",
            "F.dropout2d(x, 0.5, training=False)",
            "F.local_response_norm(x, 3)",
            "nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0)(x)",
            "F.channel_shuffle(x, 2)",
            "nn.ChannelShuffle(4)(x)",
            "F.conv_transpose2d(x, (torch.arange(96.0) / 48 - 1).reshape(4, 3, 2, 4))",
            "F.conv_transpose2d(x, (torch.arange(72.0) / 36 - 1).reshape(4, 2, 3, 3), "
            "torch.ones(4), 2, 1, 1, 2)",
            "F.conv_transpose2d(x, (torch.arange(72.0) / 36 - 1).reshape(4, 2, 3, 3), dilation=2)",
            "F.unfold(x, 2)",
            "F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2)",
            "nn.Unfold(3, padding=1)(x)",
            "F.fold(F.unfold(x, 2), (5, 6), 2)",
            "nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=2)"
            "(F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2))",
            "F.fold(x.reshape(x.shape[0], 8, 15), (4, 11), 2, stride=(1, 2))",
            "F.lp_pool2d(x, 2, 2)",
            "nn.LPPool2d(1, (2, 3), stride=1)(x)",
            "F.alpha_dropout(x, 0.2)",
            "F.feature_alpha_dropout(x, 0.5, training=False)",
            "F.bilinear(x, x - 1, (torch.arange(108.0) / 54 - 1).reshape(3, 6, 6), torch.ones(3))",
        )
    ),
    ("nn.AlphaDropout(0.3)(x)", "nn.AlphaDropout(0.3).eval()(x)", (4, 5, 6)),
    ("nn.FeatureAlphaDropout()(x)", "nn.FeatureAlphaDropout().eval()(x)", (4, 5, 6)),
    *(
        (expression, expression, (6, 9))
        for expression in (
            "F.conv_transpose1d(x, (torch.arange(36.0) / 18 - 1).reshape(6, 2, 3), stride=2)",
            "F.conv_transpose1d(x, (torch.arange(36.0) / 18 - 1).reshape(6, 2, 3), padding=1, "
            "output_padding=1, stride=2)",
            "F.lp_pool1d(x, 2, 3)",
            "nn.LPPool1d(2, 2, ceil_mode=True)(x)",
        )
    ),
    *(
        (expression, expression, (2, 5, 6, 7))
        for expression in (
            "F.conv_transpose3d(x, (torch.arange(48.0) / 24 - 1).reshape(2, 3, 2, 2, 2), "
            "torch.ones(3), stride=2, padding=1)",
            "F.lp_pool3d(x, 2, 2)",
            "nn.LPPool3d(2, (1, 2, 2))(x)",
        )
    ),
    (
        "F.conv3d(x, (torch.arange(48.0) * 0.0425532 + -1).reshape(3, 2, 2, 2, 2), torch.ones(3), padding=1)",
        "F.conv3d(x, (torch.arange(48.0) * 0.0425532 + -1).reshape(3, 2, 2, 2, 2), torch.ones(3), padding=1)",
        (2, 5, 6, 7),
    ),
    ("F.dropout3d(x, training=False)", "F.dropout3d(x, training=False)", (2, 5, 6, 7)),
    # the rules older than this table
    ("nn.Dropout(0.5)(x)", "nn.Dropout(0.5).eval()(x)", (4, 5, 6)),
    ("nn.Dropout2d(0.5)(x)", "nn.Dropout2d(0.5).eval()(x)", (4, 5, 6)),
    ("nn.Dropout1d()(x)", "nn.Dropout1d().eval()(x)", (6, 9)),
    ("nn.BatchNorm2d(4)(x)", "nn.BatchNorm2d(4).eval()(x)", (4, 5, 6)),
    (
        "nn.BatchNorm2d(4, eps=1e-3, momentum=0.3)(x)",
        "nn.BatchNorm2d(4, 1e-3, 0.3).eval()(x)",
        (4, 5, 6),
    ),
    ("nn.BatchNorm1d(6)(x)", "nn.BatchNorm1d(6).eval()(x)", (6, 9)),
    ("nn.BatchNorm1d(6)(x)", "nn.BatchNorm1d(6).eval()(x)", (6,)),
    *(
        (expression, expression, (4, 5, 6))
        for expression in (
            "nn.AdaptiveAvgPool2d((2, 3))(x)",
            "nn.AvgPool2d(2)(x)",
            "nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x)",
            "nn.MaxPool2d(2)(x)",
            "nn.ConstantPad2d(1, 0.5)(x)",
            "nn.ZeroPad2d((1, 0, 2, 1))(x)",
            "nn.ReflectionPad2d(1)(x)",
            "nn.ReplicationPad2d(2)(x)",
            "nn.InstanceNorm2d(4)(x)",
            "nn.InstanceNorm2d(4, affine=True)(x)",
            "nn.GroupNorm(2, 4)(x)",
            "nn.LayerNorm(6)(x)",
            "nn.LayerNorm([5, 6], eps=1e-3)(x)",
            "nn.PixelShuffle(2)(x)",
            "nn.Upsample(scale_factor=2)(x)",
            "nn.Upsample(size=(7, 9), mode='bilinear')(x)",
            "nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)(x)",
            "F.adaptive_avg_pool2d(x, 1)",
            "F.adaptive_max_pool2d(x, (2, 2))",
            "F.avg_pool2d(x, 2, 1)",
            "F.interpolate(x, scale_factor=2)",
            "F.interpolate(x, size=(3, 4), mode='bilinear')",
            "F.interpolate(x, scale_factor=1.5, mode='bilinear', align_corners=False)",
            "F.interpolate(x, size=(8, 8), mode='nearest')",
            "F.pixel_shuffle(x, 2)",
            "F.upsample(x, scale_factor=2)",
        )
    ),
    *(
        (expression, expression, (4, 7, 8))
        for expression in (
            "F.max_pool2d(x, 2, return_indices=True)[0]",
            "F.max_pool2d(x, 2, return_indices=True)[1]",
            "F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)[1]",
            "F.max_pool2d_with_indices(x, (2, 3), stride=1)[1]",
            "F.max_unpool2d(F.max_pool2d(x, 2, return_indices=True)[0], "
            "F.max_pool2d(x, 2, return_indices=True)[1], 2)",
            "nn.MaxUnpool2d(2)(*F.max_pool2d(x, 2, return_indices=True))",
            "F.max_unpool2d(F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], "
            "F.max_pool2d(x, 3, 2, 1, return_indices=True)[1], 3, 2, 1, output_size=x.shape[-2:])",
            "nn.MaxUnpool2d(3, 2, 1)(*F.max_pool2d(x, 3, 2, 1, return_indices=True), "
            "output_size=(7, 8))",
        )
    ),
    *(
        (expression, expression, (6, 9))
        for expression in (
            "F.max_pool1d(x, 2, return_indices=True)[1]",
            "F.max_pool1d_with_indices(x, 3, 2, 1)[1]",
            "F.max_unpool1d(F.max_pool1d(x, 2, return_indices=True)[0], "
            "F.max_pool1d(x, 2, return_indices=True)[1], 2)",
            "nn.MaxUnpool1d(3, stride=2, padding=1)(*F.max_pool1d(x, 3, 2, 1, return_indices=True))",
        )
    ),
    (
        "F.max_unpool3d(x, (torch.arange(x.shape[0] * 120).reshape(x.shape) % 60) * 8, 2)",
        "F.max_unpool3d(x, (torch.arange(x.shape[0] * 120).reshape(x.shape) % 60) * 8, 2)",
        (2, 3, 4, 5),
    ),
    (
        "nn.MaxUnpool3d(2)(x, torch.arange(x.shape[0] * 120).reshape(x.shape) % 60 * 7 + 3)",
        "nn.MaxUnpool3d(2)(x, torch.arange(x.shape[0] * 120).reshape(x.shape) % 60 * 7 + 3)",
        (2, 3, 4, 5),
    ),
    *(
        (expression, expression, (2, 3))
        for expression in (
            "F.affine_grid(x, [x.shape[0], 3, 4, 5])",
            "F.affine_grid(x, (x.shape[0], 1, 4, 5), align_corners=True)",
            "F.affine_grid(x, (x.shape[0], 1, 1, 6), align_corners=True)",
        )
    ),
    (
        "F.affine_grid(x, (x.shape[0], 2, 3, 4, 5))",
        "F.affine_grid(x, (x.shape[0], 2, 3, 4, 5))",
        (3, 4),
    ),
    *(
        (expression, expression, (2, 4, 5))
        for expression in (
            "F.grid_sample(x, torch.tanh(x.permute(0, 2, 3, 1)) * 1.2)",
            "F.grid_sample(x, torch.tanh(x.permute(0, 2, 3, 1)) * 1.2, padding_mode='border')",
            "F.grid_sample(x, torch.tanh(x.permute(0, 2, 3, 1)), 'nearest', align_corners=True)",
            "F.grid_sample(x, torch.tanh(x.permute(0, 2, 3, 1)) * 1.1, align_corners=True)",
        )
    ),
    *(
        (expression, expression, (3, 5, 4))
        for expression in (
            "F.scaled_dot_product_attention(x, x * 0.5, x + 1)",
            "F.scaled_dot_product_attention(x, x, x, is_causal=True)",
            "F.scaled_dot_product_attention(x, x - 1, x, torch.arange(25.0).reshape(5, 5) / 25)",
            "F.scaled_dot_product_attention(x, x, x * 2, torch.ones(5, 5).tril() > 0, scale=0.3)",
        )
    ),
    *(
        (expression, expression, (4, 3, 5, 2))
        for expression in (
            "nn.ReflectionPad3d(1)(x)",
            "nn.ReplicationPad3d((1, 0, 2, 1, 0, 1))(x)",
            "nn.ZeroPad3d(1)(x)",
            "nn.ConstantPad3d(1, -1.0)(x)",
            "nn.CircularPad3d(1)(x)",
        )
    ),
    *(
        (expression, expression, (2, 5, 6, 7))
        for expression in (
            "nn.MaxPool3d(2)(x)",
            "nn.MaxPool3d((2, 3, 1), stride=1, padding=(1, 1, 0))(x)",
            "nn.MaxPool3d(2, ceil_mode=True)(x)",
            "nn.AvgPool3d(2)(x)",
            "nn.AvgPool3d(3, stride=2, padding=1)(x)",
            "nn.AvgPool3d(3, 2, 1, count_include_pad=False)(x)",
            "nn.AvgPool3d(2, ceil_mode=True, divisor_override=3)(x)",
            "F.max_pool3d(x, (1, 2, 2))",
            "F.avg_pool3d(x, 2, stride=1)",
            "nn.AdaptiveAvgPool3d(1)(x)",
            "nn.AdaptiveAvgPool3d((2, 4, 3))(x)",
            "nn.AdaptiveAvgPool3d((None, 2, 5))(x)",
            "nn.AdaptiveMaxPool3d((3, 2, 2))(x)",
            "F.adaptive_avg_pool3d(x, (4, 4, 4))",
            "F.adaptive_max_pool3d(x, 2)",
        )
    ),
]
# Losses and distances, forward and gradient: PyTorch expressions of a, b, c (floats, batch x
# 5), pos (positive), sign (1 or -1, batch x 5), sign1 (1 or -1, one per sample), y (class
# labels), y01 (0/1 floats), probs (rows of probabilities), logp (their logs), idx (label
# indices per sample, ended by -1).
LOSSES = [
    "F.mse_loss(a, b)",
    "nn.MSELoss(reduction='sum')(a, b)",
    "F.l1_loss(a, b, None, None, 'none')",
    "nn.SmoothL1Loss(beta=0.5)(a, b)",
    "F.cross_entropy(a, y, label_smoothing=0.1)",
    "nn.CrossEntropyLoss(torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0]))(a, y)",
    "nn.NLLLoss(reduction='sum')(F.log_softmax(a, 1), y)",
    "F.binary_cross_entropy(torch.sigmoid(a), y01)",
    "nn.BCEWithLogitsLoss(reduction='none')(a, y01)",
    "F.huber_loss(a, b)",
    "F.huber_loss(a, b, 'sum', 0.5)",
    "nn.HuberLoss(delta=2.0)(a, b)",
    "nn.HuberLoss('none')(a, b)",
    "F.kl_div(F.log_softmax(a, 1), probs, reduction='batchmean')",
    "F.kl_div(F.log_softmax(a, 1), logp, reduction='sum', log_target=True)",
    "nn.KLDivLoss(reduction='batchmean')(F.log_softmax(a, 1), probs)",
    "F.soft_margin_loss(a, sign)",
    "nn.SoftMarginLoss(reduction='none')(a, sign)",
    "F.margin_ranking_loss(a, b, sign, margin=0.5)",
    "nn.MarginRankingLoss(0.2)(a, b, sign)",
    "F.hinge_embedding_loss(a, sign)",
    "nn.HingeEmbeddingLoss(margin=2.0, reduction='sum')(a, sign)",
    "F.cosine_embedding_loss(a, b, sign1)",
    "nn.CosineEmbeddingLoss(0.3, reduction='none')(a, b, sign1)",
    "F.poisson_nll_loss(a, pos)",
    "F.poisson_nll_loss(torch.exp(a), pos * 2, log_input=False, full=True)",
    "nn.PoissonNLLLoss(full=True, reduction='sum')(a, pos * 3)",
    "F.gaussian_nll_loss(a, b, pos)",
    "F.gaussian_nll_loss(a, b, pos[:, 0], full=True, reduction='sum')",
    "nn.GaussianNLLLoss(eps=0.5)(a, b, pos)",
    "F.multilabel_soft_margin_loss(a, y01)",
    "nn.MultiLabelSoftMarginLoss(torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0]))(a, y01)",
    "F.multi_margin_loss(a, y)",
    "F.multi_margin_loss(a, y, p=2, margin=0.5, reduction='sum')",
    "nn.MultiMarginLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0]))(a, y)",
    "F.multilabel_margin_loss(a, idx)",
    "nn.MultiLabelMarginLoss(reduction='none')(a, idx)",
    "F.triplet_margin_loss(a, b, c)",
    "F.triplet_margin_loss(a, b, c, margin=2.0, p=1, swap=True)",
    "nn.TripletMarginLoss(margin=0.5, p=3, reduction='none')(a, b, c)",
    "F.triplet_margin_with_distance_loss(a, b, c)",
    "nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1))(a, b, c)",
    "F.triplet_margin_with_distance_loss(a, b, c, distance_function=lambda u, v: "
    "1.0 - F.cosine_similarity(u, v), swap=True)",
    "F.pairwise_distance(a, b)",
    "F.pairwise_distance(a, b, p=1.5, keepdim=True)",
    "nn.PairwiseDistance(float('inf'))(a, b)",
    "F.cosine_similarity(a, b)",
    "nn.CosineSimilarity(dim=0, eps=1e-6)(a, b)",
    "F.pdist(a)",
    "F.pdist(a, p=1)",
    "F.nll_loss(F.log_softmax(a, 1), y)",
    "F.smooth_l1_loss(a, b)",
    "F.binary_cross_entropy_with_logits(a, y01)",
    "nn.BCELoss()(torch.sigmoid(a), y01)",
    "nn.L1Loss()(a, b)",
    "F.linear_cross_entropy(a, torch.arange(25.0).reshape(5, 5) / 25 - 0.5, y)",
    "F.linear_cross_entropy(b, torch.arange(25.0).reshape(5, 5) / 25, y, "
    "linear_bias=torch.ones(5), reduction='sum', label_smoothing=0.1)",
]
LOSS_SOURCE = """import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def f(a, b, c, pos, sign, sign1, y, y01, probs, logp, idx):
    return {expression}
"""
DIFFERENTIATED = ("a", "b", "c")


def _loss_inputs(batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    floats = {name: rng.standard_normal((batch, 5)) * 2 for name in ("a", "b", "c")}
    probs = rng.random((batch, 5)) + 0.1
    probs /= probs.sum(axis=1, keepdims=True)
    idx = np.stack([rng.permutation(5) for _ in range(batch)])
    idx[:, rng.integers(1, 5)] = -1  # the labels before the first -1 count
    values = {
        **floats,
        "pos": rng.random((batch, 5)) + 0.2,
        "sign": rng.choice([-1.0, 1.0], (batch, 5)),
        "sign1": rng.choice([-1.0, 1.0], batch),
        "y": rng.integers(0, 5, batch),
        "y01": rng.integers(0, 2, (batch, 5)).astype(float),
        "probs": probs,
        "logp": np.log(probs),
        "idx": idx,
    }
    return {
        name: value if value.dtype.kind == "i" else value.astype(np.float32)
        for name, value in values.items()
    }


@pytest.mark.parametrize("batch", [3, 1])
@pytest.mark.parametrize("expression", LOSSES)
def test_loss_and_its_gradient_match_torch(expression: str, batch: int) -> None:
    import tensorflow as tf

    torch_f, tf_f = _translated_pair(LOSS_SOURCE.format(expression=expression))
    inputs = _loss_inputs(batch)
    tensors = {name: torch.from_numpy(value) for name, value in inputs.items()}
    for name in DIFFERENTIATED:
        tensors[name].requires_grad_(True)
    want = torch_f(**tensors)
    want.sum().backward()
    variables = {name: tf.constant(value) for name, value in inputs.items()}
    with tf.GradientTape() as tape:
        tape.watch([variables[name] for name in DIFFERENTIATED])
        got = tf_f(**variables)
        total = tf.reduce_sum(got)
    grads = tape.gradient(total, [variables[name] for name in DIFFERENTIATED])
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    for name, grad in zip(DIFFERENTIATED, grads, strict=True):
        torch_grad = tensors[name].grad
        want_grad = np.zeros((batch, 5)) if torch_grad is None else torch_grad.numpy()
        got_grad = np.zeros((batch, 5)) if grad is None else np.asarray(tf.convert_to_tensor(grad))
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-4, atol=1e-5, err_msg=name)


SOURCE = """import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def f(x):
    return {expression}
"""


def _translated_pair(source: str, reference: str | None = None):
    """`f` defined by the PyTorch source (or by `reference`, its torch counterpart) and by
    the source's translation, which must leave nothing untranslated."""
    result = translate_source(source, "case.py")
    assert not result.report.left, result.code
    return _define(reference or source, "case.py"), _define(result.code, "case_tf.py")


def _define(code: str, filename: str):
    namespace: dict = {}
    exec(compile(code, filename, "exec"), namespace)  # noqa: S102
    return namespace["f"]


@pytest.mark.parametrize("batch", [2, 1])
@pytest.mark.parametrize("expression", CASES)
def test_activation_matches_torch(expression: str, batch: int) -> None:
    _assert_matches(expression, expression, (batch, 6, 4))


@pytest.mark.parametrize("batch", [2, 1])
@pytest.mark.parametrize(("expression", "reference", "shape"), LAYERS)
def test_layer_matches_torch(expression: str, reference: str, shape: tuple, batch: int) -> None:
    _assert_matches(expression, reference, (batch, *shape))


def _assert_matches(expression: str, reference: str, shape: tuple) -> None:
    import tensorflow as tf

    torch_f, tf_f = _translated_pair(
        SOURCE.format(expression=expression), SOURCE.format(expression=reference)
    )
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 3
    with torch.no_grad():
        want = torch_f(torch.from_numpy(x)).numpy()
    got = np.asarray(tf_f(tf.constant(x)))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_softmin_without_dim_is_refused() -> None:
    """PyTorch picks an implicit dim (deprecated) that the translation cannot know."""
    result = translate_source(SOURCE.format(expression="F.softmin(x)"), "case.py")
    (left,) = result.report.left
    assert left.name == "torch.nn.functional.softmin" and "needs dim" in left.detail


def test_one_hot_without_num_classes_is_refused() -> None:
    """F.one_hot's default counts the classes in the data, which a translation cannot know."""
    result = translate_source(SOURCE.format(expression="F.one_hot(x.long())"), "case.py")
    (left,) = result.report.left
    assert left.name == "torch.nn.functional.one_hot" and "num_classes" in left.detail


def test_unflatten_keeps_the_static_shape_the_next_layer_needs() -> None:
    """Inside a Keras model a Dense after Unflatten needs its input's last size: -1 is worked
    out from the static shape."""
    import keras

    from codegen.translate.prelude_lib import Unflatten

    model = keras.Sequential([keras.Input((12,)), Unflatten(1, (3, -1)), keras.layers.Dense(2)])
    assert model.output_shape == (None, 3, 2)


@pytest.mark.parametrize(
    "expression",
    ["nn.MaxPool2d(2, return_indices=True)(x)", "F.max_pool3d(x, 2, 2, 0, 1, False, True)"],
)
def test_max_pool_indices_are_refused(expression: str) -> None:
    """The prelude's pools return no indices: asking for them is not translated."""
    result = translate_source(SOURCE.format(expression=expression), "case.py")
    (left,) = result.report.left
    assert "return_indices" in left.detail


IN_PLACE_SOURCE = """import torch
import torch.nn.functional as F


def f(x):
    y = x * 2
    F.relu_(y)
    z = x + 1
    F.leaky_relu(z, 0.2, inplace=True)
    F.hardtanh_(z, -0.5, 0.5)
    return y + z
"""


def test_an_in_place_function_on_its_own_line_rebinds_its_tensor() -> None:
    """`F.relu_(y)` as a statement changes y in PyTorch; translated, it is `y = tf.nn.relu(y)`."""
    import tensorflow as tf

    result = translate_source(IN_PLACE_SOURCE, "case.py")
    assert not result.report.left, result.code
    assert "    y = tf.nn.relu(y)" in result.code.splitlines()
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    want = _define(IN_PLACE_SOURCE, "case.py")(torch.from_numpy(x.copy())).numpy()
    got = _define(result.code, "case_tf.py")(tf.constant(x))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_rrelu_draws_its_slopes_in_training() -> None:
    """In training each negative element gets its own slope in [lower, upper]."""
    from codegen.translate.prelude_lib import RReLU

    x = -np.ones((4, 50), np.float32)
    slopes = -np.asarray(RReLU(0.1, 0.3)(x, training=True))
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and slopes.std() > 0.01
    np.testing.assert_allclose(-np.asarray(RReLU(0.1, 0.3)(x)), 0.2, rtol=1e-6)


def test_channel_dropout_zeroes_whole_channels_in_training() -> None:
    from codegen.translate.prelude_lib import channel_dropout

    out = np.asarray(channel_dropout(np.ones((4, 16, 3, 3), np.float32), 0.5))
    per_channel = out.reshape(4, 16, 9)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # one value per channel
    assert set(np.unique(out)) == {0.0, 2.0}


@pytest.mark.parametrize(
    "layer, shape, shared",
    [
        ("nn.Dropout2d(0.5)", (64, 32), ()),  # mnist_rnn: (N, C), plain dropout in PyTorch
        ("nn.Dropout2d(0.5)", (8, 16, 5), (2,)),  # (N, C, L): PyTorch's historic 1-d
        ("nn.Dropout2d(0.5)", (8, 16, 3, 3), (2, 3)),
        ("nn.Dropout1d(0.5)", (16, 7), (1,)),  # (C, L): one sample
        ("nn.Dropout3d(0.5)", (16, 2, 3, 3), (1, 2, 3)),  # (C, D, H, W): one sample
    ],
)
def test_channel_dropout_layers_draw_as_pytorch_does_at_any_rank(
    layer: str, shape: tuple, shared: tuple
) -> None:
    """nn.Dropout1d/2d/3d were Keras Dropout with a noise_shape of fixed rank: mnist_rnn's
    Dropout2d on (N, C) failed. Now one draw per sample and channel, shared over the rest of
    the axes, at any rank, as torch's feature dropout (checked on torch's own pattern)."""
    import tensorflow as tf

    x = np.ones(shape, np.float32)
    source = f"import torch.nn as nn\n\nlayer = {layer}\n"
    result = translate_source(source, "layer.py")
    assert not result.report.left
    torch_space: dict = {}
    space: dict = {}
    exec(compile(source, "layer.py", "exec"), torch_space)  # noqa: S102
    exec(compile(result.code, "layer_tf.py", "exec"), space)  # noqa: S102
    torch_out = torch_space["layer"].train()(torch.from_numpy(x)).numpy()
    out = np.asarray(space["layer"](tf.constant(x), training=True))
    for result in (torch_out, out):
        assert set(np.unique(result)) == {0.0, 2.0}
        if shared:
            spread = result.max(axis=shared) - result.min(axis=shared)
            assert (spread == 0).all()
        else:
            assert 0.3 < (result == 0).mean() < 0.7 and result.reshape(-1, shape[-1]).std(1).all()
    assert np.asarray(space["layer"](tf.constant(x), training=False)).min() == 1.0


def test_every_prelude_definition_is_black_formatted_at_the_output_width() -> None:
    """Translated files are black-formatted at 88 columns; the prelude's definitions are
    copied into them as they are, so each must already be (a new definition used by no
    golden case would otherwise make its users' files change under black)."""
    from codegen.translate import formatting, prelude

    changed = [
        name
        for name, definition in prelude.definitions().items()
        if formatting.whole(definition.source) != definition.source
    ]
    assert changed == []


def test_alpha_dropout_keeps_mean_and_variance_in_training() -> None:
    """SELU's self-normalizing dropout: a standard normal input stays near mean 0 and
    variance 1, and the dropped values share one value."""
    from codegen.translate.prelude_lib import AlphaDropout, feature_alpha_dropout

    x = np.random.default_rng(0).standard_normal((200, 500)).astype(np.float32)
    out = np.asarray(AlphaDropout(0.2)(x, training=True))
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.03
    values, counts = np.unique(out, return_counts=True)
    assert abs(counts.max() / out.size - 0.2) < 0.01  # the saturated value, 20% of them
    channels = np.asarray(feature_alpha_dropout(np.ones((8, 16, 5), np.float32), 0.5, True))
    assert (channels.min(axis=2) == channels.max(axis=2)).all()


def test_gumbel_softmax_samples_the_softmax() -> None:
    """The Gumbel-max trick: a hard sample's class follows softmax(logits); soft samples are
    distributions; the hard sample passes the soft one's gradient."""
    import tensorflow as tf

    from codegen.translate.prelude_lib import gumbel_softmax

    logits = tf.constant([[0.0, 1.0, 2.0]] * 20000)
    hard = np.asarray(gumbel_softmax(logits, tau=0.5, hard=True))
    assert set(np.unique(hard)) == {0.0, 1.0} and (hard.sum(axis=1) == 1).all()
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(hard.mean(axis=0), expected, atol=0.015)
    soft = np.asarray(gumbel_softmax(logits[:5], dim=1))
    np.testing.assert_allclose(soft.sum(axis=1), 1, rtol=1e-6)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        total = tf.reduce_sum(gumbel_softmax(logits[:3], hard=True) * [1.0, 2.0, 3.0])
    assert np.abs(np.asarray(tape.gradient(total, logits))).sum() > 0


CTC_SOURCE = """import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def f(logits, targets, input_lengths, target_lengths):
    log_probs = F.log_softmax(logits, 2)
    return {expression}
"""


@pytest.mark.parametrize(
    "expression",
    [
        "F.ctc_loss(log_probs, targets, input_lengths, target_lengths)",
        "F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction='sum')",
        "nn.CTCLoss(blank=4, reduction='none')(log_probs, targets - 1, input_lengths, "
        "target_lengths)",
        "F.ctc_loss(log_probs, torch.cat([targets[0, :4], targets[1, :2], targets[2, :3]]), "
        "input_lengths, target_lengths)",
    ],
)
def test_ctc_loss_and_its_gradient_match_torch(expression: str) -> None:
    import tensorflow as tf

    torch_f, tf_f = _translated_pair(CTC_SOURCE.format(expression=expression))
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((12, 3, 5)).astype(np.float32)
    targets = rng.integers(1, 5, (3, 4))
    input_lengths, target_lengths = np.array([12, 10, 12]), np.array([4, 2, 3])
    torch_logits = torch.from_numpy(logits).requires_grad_(True)
    want = torch_f(torch_logits, *map(torch.from_numpy, (targets, input_lengths, target_lengths)))
    want.sum().backward()
    tf_logits = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(tf_logits)
        got = tf_f(tf_logits, *map(tf.constant, (targets, input_lengths, target_lengths)))
        total = tf.reduce_sum(got)
    np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    grad = np.asarray(tape.gradient(total, tf_logits))
    np.testing.assert_allclose(grad, torch_logits.grad.numpy(), rtol=1e-4, atol=1e-5)


BAG_SOURCE = """import torch
import torch.nn.functional as F


def f(ids, weight, offsets, scale):
    return {expression}
"""


@pytest.mark.parametrize(
    "expression",
    [
        "F.embedding_bag(ids.reshape(3, 4), weight)",
        "F.embedding_bag(ids.reshape(3, 4), weight, mode='max')",
        "F.embedding_bag(ids, weight, offsets, mode='sum')",
        "F.embedding_bag(ids, weight, offsets, mode='sum', per_sample_weights=scale)",
        "F.embedding_bag(ids, weight, torch.tensor([0, 4, 5, 12]), include_last_offset=True)",
        "F.embedding_bag(ids, weight, offsets, padding_idx=2)",
        "F.embedding_bag(ids, weight, torch.tensor([0, 3, 3, 8]), mode='max')",
    ],
)
def test_embedding_bag_matches_torch(expression: str) -> None:
    """Rows or offsets as bags, sum/mean/max, per-sample weights, padding_idx, an empty bag."""
    import tensorflow as tf

    torch_f, tf_f = _translated_pair(BAG_SOURCE.format(expression=expression))
    rng = np.random.default_rng(0)
    values = {
        "ids": rng.integers(0, 6, 12),
        "weight": rng.standard_normal((6, 3)).astype(np.float32),
        "offsets": np.array([0, 4, 5, 9]),
        "scale": rng.random(12).astype(np.float32),
    }
    with torch.no_grad():
        want = torch_f(**{k: torch.from_numpy(v) for k, v in values.items()}).numpy()
    got = np.asarray(tf_f(**{k: tf.constant(v) for k, v in values.items()}))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_prelude_is_cut_into_its_definitions_as_its_syntax_tree_has_them() -> None:
    """prelude.definitions() cuts the library's text at column-0 lines (fast); each piece is
    exactly the source of one top-level function or class, decorators included, and what
    each uses is what its syntax refers to."""
    import ast

    from codegen.translate import prelude

    text = prelude.LIBRARY.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    nodes = [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    table = prelude.definitions()
    assert list(table) == [node.name for node in nodes]
    names = set(table)
    for node in nodes:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        assert table[node.name].source == "".join(lines[start : node.end_lineno])
        found = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
        local = {n.id for n in found if isinstance(n.ctx, ast.Store)}
        used = {n.id for n in found} - local & names
        assert table[node.name].uses == used - {node.name}
    # a local variable that shares a definition's name is not a use of it: channel_shuffle's
    # `split` (a shape) pulled the prelude's split() into every file that shuffled channels
    assert "split" in table and "split" not in table["channel_shuffle"].uses


def test_torch_max_of_two_names_is_refused() -> None:
    """torch.max(x, y) is elementwise when y is a tensor and a reduction when it is an int:
    with a name the translation cannot tell, so it marks the call."""
    source = SOURCE.format(expression="torch.max(x, x.dim() - 1)").replace(
        "def f(x):", "def f(x, k=1):"
    )
    result = translate_source(source.replace("x.dim() - 1", "k"), "case.py")
    (left,) = result.report.left
    assert left.name == "torch.max" and "not known" in left.detail
