"""A soft decision tree (Frosst & Hinton 2017, "Distilling a Neural Network Into a Soft
Decision Tree"): the student that can actually mimic the CNN.

The network and its loss are in :mod:`.soft_tree_net`; this is the estimator around them: a
plain training loop, prediction by the "max path" (the likelier branch at every node, to one
leaf: the prediction a person can follow), and state as plain arrays. Torch is imported only
when a tree is fitted or used, so the class itself (its parameters, for forms and checks) is
cheap to import.

With ``deskew`` the tree reads each digit straightened (:mod:`distill.deskew`): upright and
centred, so its filters need not learn every slant. Filters, evidence and responses are all
about that image.
"""

from __future__ import annotations

import math

import numpy as np

from ..params import Param
from ..progress import Clock, Reporter, StopCheck, check_stop, never, silent
from .base import DESKEW, Student

BATCH_SIZE = 128
MIN_STEPS = 1000


def epochs_for(epochs: int, n_samples: int, batch_size: int = BATCH_SIZE,
               min_steps: int = MIN_STEPS) -> int:
    """Epochs a soft tree trains: ``epochs``, or more when that is under ``min_steps``
    batches. A small training set (the true-label baseline, 8x8 digits) would otherwise stop
    half-trained, and the gain from distilling would be an artefact of the baseline's fewer
    steps."""
    steps = math.ceil(n_samples / batch_size)
    return max(epochs, math.ceil(min_steps / steps))


class SoftTreeStudent(Student):
    """Soft decision tree on the image's pixels, trained with a plain torch loop."""

    kind = "soft-tree"
    accepts_soft_targets = True
    reports_progress = True
    torch_state = True
    PARAMS = {
        "depth": Param("int", 1, 10, label="depth", hosted_high=6, form=True,
                       help="2**depth leaves; the path of a digit has this many filters."),
        "epochs": Param("int", 1, 500, label="epochs", hosted_high=20, form=True,
                        help="Passes over the training images; more on small sets, so that "
                        "every fit takes at least min_steps batches."),
        "lr": Param("float", 1e-5, 1.0, label="learning rate"),
        "batch_size": Param("int", 1, 4096, label="batch size"),
        "penalty": Param("float", 0.0, 10.0, label="balancing penalty"),
        "beta": Param("float", 0.01, 100.0, label="beta"),
        "weight_decay": Param("float", 0.0, 1.0, label="weight decay"),
        "min_steps": Param("int", 0, 100_000, label="min steps"),
        "deskew": DESKEW,
        "random_state": Param("int", 0, 2**32 - 1, label="random state"),
    }

    def __init__(self, depth: int = 8, epochs: int = 10, lr: float = 0.01,
                 batch_size: int = BATCH_SIZE, penalty: float = 0.01, beta: float = 1.0,
                 weight_decay: float = 0.0, min_steps: int = MIN_STEPS, deskew: bool = True,
                 n_classes: int | None = None, random_state: int = 0):
        self.depth = depth
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.penalty = penalty
        self.beta = beta
        self.weight_decay = weight_decay
        self.min_steps = min_steps
        self.deskew = deskew
        self.n_classes = n_classes
        self.random_state = random_state

    # ---- training --------------------------------------------------------------------
    def epochs_for(self, n_samples: int) -> int:
        return epochs_for(self.epochs, n_samples, self.batch_size, self.min_steps)

    def _fit(self, X, target, weight, progress: Reporter = silent,
             should_stop: StopCheck = never) -> None:
        import torch

        from ..nets import default_device
        from ..optim import Adam
        from .soft_tree_net import SoftTreeNet, tree_loss
        n_out = self.n_classes_
        soft = target if target.ndim == 2 else np.eye(n_out)[target]
        device = default_device()
        torch.manual_seed(self.random_state)
        gen = torch.Generator().manual_seed(self.random_state)
        net = SoftTreeNet(int(np.prod(self.image_shape_)), n_out, self.depth, self.beta).to(device)
        xs = torch.tensor(X.reshape(len(X), -1), device=device)  # (N, F), a copy of its own
        ts = torch.as_tensor(soft, dtype=torch.float32, device=device)  # (N, C)
        # sample weights weigh each image's loss; dividing by their mean keeps the scale
        ws = None if weight is None else torch.as_tensor(weight / weight.mean(),
                                                         dtype=torch.float32, device=device)
        steps = math.ceil(len(xs) / self.batch_size)
        epochs = self.epochs_for(len(xs))
        total = epochs * steps
        opt = Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        clock = Clock()
        self.history_ = []
        for epoch in range(epochs):
            order = torch.randperm(len(xs), generator=gen).to(device)
            running = 0.0
            for b in range(steps):
                check_stop(should_stop)
                idx = order[b * self.batch_size:(b + 1) * self.batch_size]
                per_image, reg = tree_loss(net, xs[idx], ts[idx], self.penalty)  # (B,), ()
                loss = (per_image * ws[idx]).mean() if ws is not None else per_image.mean()
                opt.zero_grad()
                (loss + reg).backward()
                opt.lr = self.lr * 0.5 * (1 + math.cos(math.pi * (epoch * steps + b) / total))
                opt.step()
                running += loss.item()
            done = (epoch + 1) / epochs
            self.history_.append(running / steps)
            progress({"stage": "soft-tree", "fraction": done, "epoch": epoch + 1,
                      "epochs": epochs, "loss": running / steps,
                      "elapsed": clock.elapsed(), "eta": clock.eta(done)})
        self._set_net(net.cpu().eval())

    def _set_net(self, net) -> None:
        self.net_ = net
        self.filters_ = net.inner.weight.detach().numpy().copy()  # (n_inner, F)
        self.biases_ = net.inner.bias.detach().numpy().copy()  # (n_inner,)
        self.leaf_logits_ = net.leaves.detach().numpy().copy()  # (L, C)

    # ---- prediction ------------------------------------------------------------------
    def responses(self, X) -> np.ndarray:
        """(N, n_inner) float32 node responses w . x + b, as the model computes them (on the
        straightened images when ``deskew``)."""
        return self._responses(self._read(X))

    def _responses(self, read: np.ndarray) -> np.ndarray:
        import torch
        with torch.no_grad():
            return self.net_.responses(torch.tensor(read.reshape(len(read), -1))).numpy()

    def leaf_distributions(self) -> np.ndarray:
        """(L, C) each leaf's class distribution."""
        from scipy.special import softmax
        return softmax(self.leaf_logits_.astype(np.float64), axis=1)

    def apply(self, X) -> np.ndarray:
        """Max-path leaf index (0 .. 2**depth - 1) of each image."""
        return self._max_path(self.responses(X))

    def _max_path(self, responses: np.ndarray) -> np.ndarray:
        import torch
        return self.net_.max_path_leaf(torch.as_tensor(responses)).numpy()

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The max-path leaf's distribution: the prediction a person can follow."""
        return self.leaf_distributions()[self._max_path(self._responses(X))]

    def predict_mixture_proba(self, X) -> np.ndarray:
        """Every leaf's distribution weighted by its path probability."""
        import torch
        with torch.no_grad():
            log_mu, _ = self.net_.log_path(torch.as_tensor(self.responses(X)))
            return (log_mu.exp() @ torch.softmax(self.net_.leaves, 1)).numpy()

    def refit_leaves(self, X, proba: np.ndarray) -> SoftTreeStudent:
        """Keep the filters; give each leaf the mean of ``proba`` (N, C) over the images of
        ``X`` whose max path reaches it (the path the tree predicts with). A leaf no image
        reaches keeps its distribution."""
        import torch
        proba = np.asarray(proba, np.float64)
        reached = self.apply(X)
        leaves = 2 ** self.depth
        sums = np.zeros((leaves, proba.shape[1]))
        np.add.at(sums, reached, proba)
        counts = np.bincount(reached, minlength=leaves)
        mean = sums / np.maximum(counts, 1)[:, None]
        logits = np.log(np.clip(mean, 1e-12, None)).astype(np.float32)
        self.leaf_logits_ = np.where((counts > 0)[:, None], logits, self.leaf_logits_)
        with torch.no_grad():
            self.net_.leaves.copy_(torch.as_tensor(self.leaf_logits_))
        return self

    def size(self) -> dict:
        return {"depth": self.depth, "leaves": 2 ** self.depth,
                "parameters": int(self.filters_.size + self.biases_.size
                                  + self.leaf_logits_.size)}

    # ---- state -----------------------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        return {"filters_": self.filters_, "biases_": self.biases_,
                "leaf_logits_": self.leaf_logits_, "deskew_": np.array(bool(self.deskew)),
                **self._common_state()}

    def set_state(self, state: dict[str, np.ndarray]) -> SoftTreeStudent:
        import torch

        from .soft_tree_net import SoftTreeNet
        self.deskew = bool(state.get("deskew_", False))  # trees saved before it read raw pixels
        leaf_logits = np.asarray(state["leaf_logits_"], np.float32)
        self._restore_common(state, leaf_logits.shape[1])
        net = SoftTreeNet(self.n_features_in_, leaf_logits.shape[1], self.depth, self.beta)
        net.load_state_dict({"inner.weight": torch.as_tensor(np.asarray(state["filters_"])),
                             "inner.bias": torch.as_tensor(np.asarray(state["biases_"])),
                             "leaves": torch.as_tensor(leaf_logits)})
        self._set_net(net.eval())
        return self
