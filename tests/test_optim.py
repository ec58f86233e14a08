"""The written-out Adam: the same numbers as torch.optim, without importing torch._dynamo."""

import subprocess
import sys

import pytest
import torch

from distill.optim import Adam


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))


@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_steps_exactly_as_torch_optim_does(decoupled, weight_decay):
    ours, theirs = _net(), _net()
    opt = Adam(ours.parameters(), lr=0.05, weight_decay=weight_decay, decoupled=decoupled)
    kind = torch.optim.AdamW if decoupled else torch.optim.Adam
    ref = kind(theirs.parameters(), lr=0.05, weight_decay=weight_decay)
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for step in range(12):
        for net, o in ((ours, opt), (theirs, ref)):
            o.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.lr = 0.05 * (1 - step / 12)  # a schedule sets the rate before each step
        for group in ref.param_groups:
            group["lr"] = opt.lr
        opt.step()
        ref.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(next(ours.parameters()), next(_net().parameters()))  # it moved


def test_training_a_teacher_and_a_soft_tree_never_imports_the_compiler():
    code = (
        "import sys, numpy as np\n"
        "from distill.config import TeacherConfig\n"
        "from distill.students import make_student\n"
        "from distill.teacher import train_teacher\n"
        "x = np.random.default_rng(0).random((40, 8, 8), dtype=np.float32)\n"
        "y = np.arange(40) % 4\n"
        "train_teacher(TeacherConfig(epochs=1), x, y, n_classes=4)\n"
        "make_student('soft-tree', depth=2, epochs=1, min_steps=0).fit(x, y)\n"
        "print('torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
