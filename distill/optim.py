"""Adam and AdamW written out, the same arithmetic as ``torch.optim``'s single-tensor
implementations (the one torch uses for CPU tensors), so the numbers come out the same.

Why not ``torch.optim``: its optimizers import ``torch._dynamo`` on their first step, seconds
of CPU in every fresh process that trains (a job's worker, a sweep's pool worker, a cluster
task, the command line, each test worker), for a compiler this project never uses
(bench/results/speed.md). The learning rate is a plain attribute the training loop sets
before each step, which is all a schedule needs.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Adam:
    """Adam (Kingma & Ba 2015) over ``params``. ``decoupled``: AdamW's weight decay
    (Loshchilov & Hutter 2019), shrinking the weights directly; otherwise Adam's, added to
    the gradient."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float,
                 weight_decay: float = 0.0, decoupled: bool = False,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr = lr
        self.weight_decay = weight_decay
        self.decoupled = decoupled
        self.betas = betas
        self.eps = eps
        self.steps = 0
        self.mean = [torch.zeros_like(p) for p in self.params]  # first moments
        self.square = [torch.zeros_like(p) for p in self.params]  # second moments

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1 ** self.steps)
        root_correction = (1 - beta2 ** self.steps) ** 0.5
        for p, mean, square in zip(self.params, self.mean, self.square, strict=True):
            grad = p.grad
            if grad is None:
                continue
            if self.weight_decay and self.decoupled:
                p.mul_(1 - self.lr * self.weight_decay)
            elif self.weight_decay:
                grad = grad.add(p, alpha=self.weight_decay)
            mean.lerp_(grad, 1 - beta1)
            square.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            p.addcdiv_(mean, (square.sqrt() / root_correction).add_(self.eps), value=-step_size)
