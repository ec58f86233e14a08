"""The soft decision tree as a torch module, and its loss (Frosst & Hinton 2017).

Every inner node is a learned filter over the image, ``p_right = sigmoid(beta * (w . x + b))``;
every leaf holds a learned class distribution. The loss is, per image, the cross-entropy of
each leaf's distribution weighted by the probability of the path to it, plus the paper's
penalty that keeps each node using both of its branches (its weight halving with depth).
The estimator around it is :class:`distill.students.soft_tree.SoftTreeStudent`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SoftTreeNet(nn.Module):
    """A complete binary tree of ``depth`` levels of inner nodes (2**depth leaves).

    Nodes are numbered in heap order: node i has children 2i+1 (left) and 2i+2 (right);
    leaf j is node 2**depth - 1 + j.
    """

    def __init__(self, n_features: int, n_classes: int, depth: int, beta: float = 1.0):
        super().__init__()
        self.depth = depth
        self.beta = beta
        self.inner = nn.Linear(n_features, 2 ** depth - 1)  # filters w_i and biases b_i
        self.leaves = nn.Parameter(torch.zeros(2 ** depth, n_classes))  # logits of Q^leaf

    def responses(self, x: torch.Tensor) -> torch.Tensor:
        """(B, F) -> (B, n_inner): w_i . x + b_i."""
        return self.inner(x)

    def log_path(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Log path probability of every leaf (B, L), and of every level's nodes (B, 2**d)."""
        log_right = F.logsigmoid(self.beta * z)  # (B, n_inner)
        log_left = F.logsigmoid(-self.beta * z)
        log_mu = z.new_zeros(z.shape[0], 1)  # (B, 1): the root is reached surely
        levels = []
        for d in range(self.depth):
            levels.append(log_mu)
            lo, hi = 2 ** d - 1, 2 ** (d + 1) - 1
            pairs = torch.stack([log_mu + log_left[:, lo:hi], log_mu + log_right[:, lo:hi]], 2)
            log_mu = pairs.reshape(z.shape[0], -1)  # (B, 2**(d+1)), children in heap order
        return log_mu, levels

    def max_path_leaf(self, z: torch.Tensor) -> torch.Tensor:
        """(B,) index of the leaf reached by taking the likelier branch at every node."""
        node = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        for _ in range(self.depth):
            right = z.gather(1, node[:, None])[:, 0] > 0  # p_right > 0.5  <=>  response > 0
            node = 2 * node + 1 + right.long()
        return node - (2 ** self.depth - 1)


def tree_loss(net: SoftTreeNet, x: torch.Tensor, target: torch.Tensor, penalty: float,
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image loss (B,) and the balancing penalty for a batch; target (B, C) probabilities."""
    z = net.responses(x)
    log_mu, levels = net.log_path(z)  # (B, L)
    log_q = F.log_softmax(net.leaves, dim=1)  # (L, C)
    leaf_ce = target @ log_q.T  # (B, L): sum_k T_k log Q^leaf_k
    loss = -torch.logsumexp(log_mu + leaf_ce, dim=1)  # (B,)
    reg = z.new_zeros(())
    if penalty > 0:
        p_right = torch.sigmoid(net.beta * z)
        for d, log_reach in enumerate(levels):
            lo, hi = 2 ** d - 1, 2 ** (d + 1) - 1
            reach = log_reach.exp()  # (B, 2**d)
            alpha = (reach * p_right[:, lo:hi]).sum(0) / reach.sum(0).clamp_min(1e-8)
            alpha = alpha.clamp(1e-4, 1 - 1e-4)
            reg = reg - penalty * 2.0 ** -d * 0.5 * (alpha.log() + (1 - alpha).log()).sum()
    return loss, reg
