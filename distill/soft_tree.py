"""A soft decision tree (Frosst & Hinton 2017, "Distilling a Neural Network Into a Soft
Decision Tree"): the student that can actually mimic the CNN.

Every inner node is a learned filter over the image, ``p_right = sigmoid(beta * (w . x + b))``;
every leaf holds a learned class distribution. Training minimises, per image, the
cross-entropy of each leaf's distribution weighted by the probability of the path to it,
plus the paper's penalty that keeps each node using both of its branches (its weight
halving with depth). The explainable prediction follows the most probable branch at every
node to one leaf (the "max path"); the mixture of all leaves is reported beside it.

With ``deskew`` (the default on 28x28 digits, see config.data_defaults) the tree reads each
digit straightened (:mod:`distill.deskew`): upright and centred, so its filters need not
learn every slant (mnist5k, depth 8: 94.8% -> 96.2% agreement with the teacher). Filters,
evidence and responses are all about that image.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .deskew import deskew as straighten
from .nets import default_device
from .progress import Clock, Reporter, StopCheck, check_stop, never, silent
from .students import Student, register_student_class, soft_tree_epochs


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
    """Frosst & Hinton's loss and balancing penalty for a batch; target (B, C) probabilities."""
    z = net.responses(x)
    log_mu, levels = net.log_path(z)  # (B, L)
    log_q = F.log_softmax(net.leaves, dim=1)  # (L, C)
    leaf_ce = target @ log_q.T  # (B, L): sum_k T_k log Q^leaf_k
    loss = -torch.logsumexp(log_mu + leaf_ce, dim=1).mean()
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


@register_student_class
class SoftTreeStudent(Student):
    """Soft decision tree on the image's pixels, trained with a plain torch loop."""

    kind = "soft-tree"
    accepts_soft_targets = True
    reports_progress = True  # fit() takes progress= and should_stop=
    torch_state = True  # saved as tensors, loaded with weights_only=True

    def __init__(self, depth: int = 8, epochs: int = 10, lr: float = 0.01,
                 batch_size: int = 128, penalty: float = 0.01, beta: float = 1.0,
                 weight_decay: float = 0.0, min_steps: int = 1000, deskew: bool = True,
                 n_classes: int | None = None, random_state: int = 0):
        self.depth = depth
        self.deskew = deskew
        self.epochs = epochs
        self.min_steps = min_steps
        self.lr = lr
        self.batch_size = batch_size
        self.penalty = penalty
        self.beta = beta
        self.weight_decay = weight_decay
        self.n_classes = n_classes
        self.random_state = random_state

    def check_params(self) -> None:
        if not 1 <= self.depth <= 10:
            raise ValueError("soft tree depth must be between 1 and 10")
        if not 1 <= self.epochs <= 500:
            raise ValueError("soft tree epochs must be between 1 and 500")
        if not 0 <= self.min_steps <= 100_000:
            raise ValueError("soft tree min_steps must be between 0 and 100000")
        if not 1e-5 <= self.lr <= 1.0:
            raise ValueError("soft tree learning rate must be between 1e-5 and 1")
        if not 0 <= self.penalty <= 10:
            raise ValueError("soft tree penalty must be between 0 and 10")
        if not 0.01 <= self.beta <= 100:
            raise ValueError("soft tree beta must be between 0.01 and 100")
        if not isinstance(self.deskew, (bool, np.bool_)):
            raise ValueError("soft tree deskew must be true or false")

    # training ------------------------------------------------------------------------
    def epochs_for(self, n_samples: int) -> int:
        return soft_tree_epochs(self.epochs, n_samples, self.batch_size, self.min_steps)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
            progress: Reporter = silent, should_stop: StopCheck = never):
        self.check_params()
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.image_shape_ = tuple(X.shape[1:])
        X = self.reads(X)
        n_out = y.shape[1] if y.ndim == 2 else self._n_out(np.unique(y))
        self.n_classes_ = n_out
        self.classes_ = np.arange(n_out)
        target = y.astype(np.float32) if y.ndim == 2 else np.eye(n_out, dtype=np.float32)[y]
        device = default_device()
        torch.manual_seed(self.random_state)
        gen = torch.Generator().manual_seed(self.random_state)
        net = SoftTreeNet(int(np.prod(self.image_shape_)), n_out, self.depth, self.beta).to(device)
        xs = torch.as_tensor(X.reshape(len(X), -1), device=device)  # (N, F)
        ts = torch.as_tensor(target, device=device)  # (N, C)
        ws = None if sample_weight is None else torch.as_tensor(
            np.asarray(sample_weight, np.float32), device=device)
        steps = math.ceil(len(xs) / self.batch_size)
        epochs = self.epochs_for(len(xs))
        total = epochs * steps
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))
        clock = Clock()
        self.history_ = []
        for epoch in range(epochs):
            order = torch.randperm(len(xs), generator=gen).to(device)
            running = 0.0
            for b in range(steps):
                check_stop(should_stop)
                idx = order[b * self.batch_size:(b + 1) * self.batch_size]
                loss, reg = tree_loss(net, xs[idx], ts[idx], self.penalty)
                if ws is not None:  # weights scale the batch's loss by their mean
                    loss = loss * ws[idx].mean()
                opt.zero_grad(set_to_none=True)
                (loss + reg).backward()
                opt.step()
                sched.step()
                running += loss.item()
            done = (epoch + 1) / epochs
            self.history_.append(running / steps)
            progress({"stage": "soft-tree", "fraction": done, "epoch": epoch + 1,
                      "epochs": epochs, "loss": running / steps,
                      "elapsed": clock.elapsed(), "eta": clock.eta(done)})
        self._set_net(net.cpu().eval())
        return self

    def _set_net(self, net: SoftTreeNet) -> None:
        self.net_ = net
        self.filters_ = net.inner.weight.detach().numpy().copy()  # (n_inner, F)
        self.biases_ = net.inner.bias.detach().numpy().copy()  # (n_inner,)
        self.leaf_logits_ = net.leaves.detach().numpy().copy()  # (L, C)

    # prediction ----------------------------------------------------------------------
    def reads(self, X: np.ndarray) -> np.ndarray:
        """(N, H, W) images as the tree reads them: straightened when ``deskew``."""
        if not self.deskew:
            return np.asarray(X, np.float32)
        if len(self.image_shape_) != 2:
            raise ValueError("a soft tree straightens (N, H, W) images; give images, or "
                             "deskew=False for flat features")
        return straighten(np.asarray(X, np.float32).reshape(len(X), *self.image_shape_))

    @torch.no_grad()
    def _responses(self, X: np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(self.reads(X).reshape(len(X), -1))
        return self.net_.responses(x)

    def leaf_distributions(self) -> np.ndarray:
        """(L, C) each leaf's class distribution."""
        z = self.leaf_logits_ - self.leaf_logits_.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Max-path leaf index (0 .. 2**depth - 1) of each image."""
        return self.net_.max_path_leaf(self._responses(X)).numpy()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The max-path leaf's distribution: the prediction a person can follow."""
        return self.leaf_distributions()[self.apply(X)]

    @torch.no_grad()
    def predict_mixture_proba(self, X: np.ndarray) -> np.ndarray:
        """Every leaf's distribution weighted by its path probability."""
        log_mu, _ = self.net_.log_path(self._responses(X))
        return (log_mu.exp() @ torch.softmax(self.net_.leaves, 1)).numpy()

    def size(self) -> dict:
        return {"depth": self.depth, "leaves": 2 ** self.depth,
                "parameters": int(self.filters_.size + self.biases_.size
                                  + self.leaf_logits_.size)}

    # state ---------------------------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        return {"filters_": self.filters_, "biases_": self.biases_,
                "leaf_logits_": self.leaf_logits_, "image_shape_": np.array(self.image_shape_),
                "deskew_": np.array(bool(self.deskew))}

    def set_state(self, state: dict[str, np.ndarray]) -> "SoftTreeStudent":
        self.image_shape_ = tuple(int(v) for v in state["image_shape_"])
        self.deskew = bool(state.get("deskew_", False))  # trees saved before it read raw pixels
        leaf_logits = np.asarray(state["leaf_logits_"], np.float32)
        net = SoftTreeNet(int(np.prod(self.image_shape_)), leaf_logits.shape[1], self.depth,
                          self.beta)
        net.load_state_dict({"inner.weight": torch.as_tensor(state["filters_"]),
                             "inner.bias": torch.as_tensor(state["biases_"]),
                             "leaves": torch.as_tensor(leaf_logits)})
        self._set_net(net.eval())
        self.n_classes_ = leaf_logits.shape[1]
        self.classes_ = np.arange(self.n_classes_)
        return self
