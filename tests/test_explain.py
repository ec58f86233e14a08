"""Explanations are tested as properties over every test digit of small saved runs."""

import json

import numpy as np
import pydot
import pytest

from distill.explain import explain
from distill.explain.drawing import HIGHLIGHT, tree_dot
from distill.explain.evidence import evidence, weight_maps
from distill.explain.reading import as_read
from distill.explain.saliency import logit_gap, saliency
from distill.explain.tree import decision_path, path_in_words, path_overlay, rules

TREES = ["tree.transfer", "tree.ground-truth", "pixel-tree.transfer"]
EVIDENCE = ["gaussian-nb", "bernoulli-nb", "multinomial-nb", "linear"]


@pytest.fixture(params=["tiny_run", "tiny_mnist_run"])
def run(request):
    return request.getfixturevalue(request.param)


def trees_of(run):
    return [n for n in run.student_names if n.split(".")[0] in ("tree", "pixel-tree")]


def test_tree_paths_are_true_for_every_test_digit(run):
    x = run.predictions["x_test"]
    for name in trees_of(run):
        tree = run.load_student(name)
        saved = run.student_proba(name).argmax(1)
        leaves = tree.apply(x)
        for i, image in enumerate(x):
            path = decision_path(tree, image)
            seen = as_read(tree, image)  # straightened when the tree straightens
            for step in path.steps:
                t, l, b, r = step.region
                assert step.value == pytest.approx(float(seen[t:b, l:r].mean()), abs=1e-5)
                assert (step.value <= step.threshold) == (step.goes == "left")
                assert list(tree.rects_[step.feature]) == step.region
            assert path.leaf.node == leaves[i]
            assert path.prediction == saved[i]  # the saved prediction in predictions.npz
            nodes = [0] + [int(tree.children_left_[s.node] if s.goes == "left"
                               else tree.children_right_[s.node]) for s in path.steps]
            assert nodes[:-1] == [s.node for s in path.steps] and nodes[-1] == path.leaf.node


def test_evidence_adds_up_to_the_log_odds_for_every_test_digit(run):
    x = run.predictions["x_test"]
    for label in EVIDENCE:
        student = run.load_student(label)
        log_proba = student.predict_log_proba(x)
        classes = student.model_.classes_
        for i, image in enumerate(x):
            e = evidence(student, image)
            assert e.evidence.shape == image.shape
            assert e.evidence.sum() + e.prior == pytest.approx(e.log_odds, abs=1e-6)
            a, b = list(classes).index(e.prediction), list(classes).index(e.versus)
            assert e.log_odds == pytest.approx(log_proba[i, a] - log_proba[i, b], abs=1e-6)
            assert e.prediction == student.predict(image[None])[0]
            assert e.log_odds >= 0  # the prediction beats the runner-up


def test_evidence_against_a_chosen_class(tiny_run):
    student = tiny_run.load_student("bernoulli-nb")
    image = tiny_run.predictions["x_test"][0]
    pred = student.predict(image[None])[0]
    other = (pred + 3) % 10
    e = evidence(student, image, versus=other)
    assert e.versus == other and e.evidence.sum() + e.prior == pytest.approx(e.log_odds, abs=1e-6)
    with pytest.raises(ValueError, match="cannot weigh"):
        evidence(student, image, versus=pred)


def test_weight_maps_have_one_image_per_class(tiny_mnist_run):
    for label in EVIDENCE:
        maps = weight_maps(tiny_mnist_run.load_student(label))
        for name, m in maps.maps.items():
            assert m.shape == (10, 28, 28) and np.isfinite(m).all(), (label, name)
    bern = weight_maps(tiny_mnist_run.load_student("bernoulli-nb")).maps["log-odds of ink"]
    assert bern[1, 14, 14] > 0 > bern[1, 0, 0]  # a one is inked in the centre, not the corner


def test_weight_maps_are_the_fitted_parameters_image_by_image(tiny_mnist_run):
    """Each map is the model's own parameter row of that class, reshaped; the Bernoulli map
    is the log-odds log p - log(1 - p) of its ink probabilities, worked out here directly."""
    expected = {
        "bernoulli-nb": lambda m: {"log-odds of ink": np.log(np.exp(m.feature_log_prob_)
                                                             / (1 - np.exp(m.feature_log_prob_)))},
        "multinomial-nb": lambda m: {"log-probability": m.feature_log_prob_},
        "gaussian-nb": lambda m: {"mean": m.theta_, "variance": m.var_},
        "linear": lambda m: {"coefficient": m.coef_},
    }
    opening = {"bernoulli-nb": "log P(ink | class) / P(no ink | class)",
               "multinomial-nb": "log of the share of the class's ink",
               "gaussian-nb": "each class's average image", "linear": "logistic-regression weights"}
    for label, parameters in expected.items():
        student = tiny_mnist_run.load_student(label)
        maps = weight_maps(student)
        assert maps.kind == student.kind and maps.description.startswith(opening[label])
        want = parameters(student.model_)
        assert list(maps.maps) == list(want)
        for name, rows in want.items():
            shown = maps.maps[name].reshape(10, -1)
            for k, c in enumerate(np.asarray(student.model_.classes_).astype(int)):
                np.testing.assert_allclose(shown[c], rows[k], rtol=1e-9, atol=1e-12)
            unseen = sorted(set(range(10)) - set(np.asarray(student.model_.classes_).astype(int)))
            assert not shown[unseen].any()


def highlighted_chain(dot_text):
    graph = pydot.graph_from_dot_data(dot_text)[0]
    lit_edges = [(e.get_source(), e.get_destination()) for e in graph.get_edges()
                 if HIGHLIGHT in (e.get("color") or "")]
    lit_nodes = {n.get_name() for n in graph.get_nodes() if HIGHLIGHT in (n.get("color") or "")}
    return graph, lit_edges, lit_nodes


@pytest.mark.parametrize("view", ["path", "top"])
def test_dot_parses_and_lights_exactly_one_root_to_leaf_chain(tiny_mnist_run, view):
    tree = tiny_mnist_run.load_student("tree")
    for image in tiny_mnist_run.predictions["x_test"][:16]:  # parsing DOT is slow
        path = decision_path(tree, image)
        graph, edges, nodes = highlighted_chain(tree_dot(tree, path, view=view, max_depth=3))
        sources = [a for a, _ in edges]
        targets = [b for _, b in edges]
        assert len(set(sources)) == len(sources) and len(set(targets)) == len(targets)
        assert "n0" in nodes and "n0" not in targets  # the chain starts at the root
        chain, node = ["n0"], "n0"
        nxt = dict(edges)
        while node in nxt:
            node = nxt[node]
            chain.append(node)
        assert set(chain) == nodes and len(chain) == len(edges) + 1  # one unbroken chain
        end = chain[-1]
        if view == "path" or len(path.steps) <= 3:
            assert end == f"n{path.leaf.node}"
        else:
            assert end.startswith("c")  # the top view cuts the path at a summary node
        all_edges = {(e.get_source(), e.get_destination()) for e in graph.get_edges()}
        assert not any(a == end for a, _ in all_edges)  # it ends in a leaf of the drawing


def test_a_drawing_key_renames_every_node_and_nothing_else(tiny_mnist_run):
    tree = tiny_mnist_run.load_student("tree")
    path = decision_path(tree, tiny_mnist_run.predictions["x_test"][0])
    for view in ("path", "top"):
        plain = pydot.graph_from_dot_data(tree_dot(tree, path, view=view))[0]
        keyed = pydot.graph_from_dot_data(tree_dot(tree, path, view=view, key="d1f_"))[0]
        names = [n.get_name() for n in plain.get_nodes() if n.get_name() not in ("node", "edge",
                                                                                   "graph")]
        keyed_names = [n.get_name() for n in keyed.get_nodes()
                       if n.get_name() not in ("node", "edge", "graph")]
        assert keyed_names == [f"d1f_{n}" for n in names]
        assert [(e.get_source(), e.get_destination()) for e in keyed.get_edges()] == [
            (f"d1f_{e.get_source()}", f"d1f_{e.get_destination()}") for e in plain.get_edges()]
    with pytest.raises(ValueError, match="key must be letters, digits and underscores"):
        tree_dot(tree, path, key="bad key;")


def test_nodes_read_in_words(tiny_mnist_run):
    tree = tiny_mnist_run.load_student("tree")
    path = decision_path(tree, tiny_mnist_run.predictions["x_test"][0])
    assert path.steps[0].question.startswith("ink ") and path.steps[0].question.endswith("?")
    words = path_in_words(path)
    assert len(words) == len(path.steps) + 1 and "predicts" in words[-1]
    x = tiny_mnist_run.predictions["x_test"][0]
    node = 0
    for step, line in zip(path.steps, words):  # each answer is the way the digit went
        assert step.node == node
        went_right = step.value > step.threshold
        assert line.split(": ")[-1].startswith("yes" if went_right else "no")
        node = int((tree.children_right_ if went_right else tree.children_left_)[node])
    assert node == path.leaf.node == int(tree.apply(x[None])[0])
    assert f"leaf {node} " in words[-1]
    for i, (step, line) in enumerate(zip(path.steps, words), 1):  # "3. ink in ...: yes (..."
        assert line.startswith(f"{i}. {step.question.rstrip('?')}: ")
    assert words[-1].endswith(f"predicts {path.prediction} at {path.leaf.probability:.0%}")
    overlay = path_overlay(path)
    assert overlay == [{"order": i, "region": s.region, "more_ink": s.value > s.threshold,
                        "value": s.value, "threshold": s.threshold}
                       for i, s in enumerate(path.steps, 1)]


SVG = "{http://www.w3.org/2000/svg}"


def lit_chain_in_svg(svg: bytes) -> list[str]:
    """The node names along the lit edges of an SVG drawn by dot, from the root on."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    lit = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "edge":
            continue
        if any(p.get("stroke") == HIGHLIGHT for p in group.iter(f"{SVG}path")):
            a, b = group.find(f"{SVG}title").text.split("->")
            assert a not in lit, "two lit edges leave one node"
            lit[a] = b
    chain, node = ["n0"], "n0"
    while node in lit:
        node = lit.pop(node)
        chain.append(node)
    assert not lit, f"lit edges off the chain: {lit}"
    return chain


def test_cli_exports_a_digits_path_and_the_whole_tree(tiny_mnist_run, tmp_path, cli):
    from PIL import Image
    tree = tiny_mnist_run.load_student("tree")
    path = decision_path(tree, tiny_mnist_run.predictions["x_test"][5])
    run = str(tiny_mnist_run.path)
    r = cli("export", run, "--tree", "tree", "--sample", "5", "--format", "svg", "-o",
                   str(tmp_path / "path.svg"))
    assert r.returncode == 0, r.stderr
    chain = lit_chain_in_svg((tmp_path / "path.svg").read_bytes())
    assert chain == [f"n{s.node}" for s in path.steps] + [f"n{path.leaf.node}"]
    for fmt in ("png", "pdf", "dot", "rules"):
        r = cli("export", run, "--tree", "tree", "--format", fmt, "-o", str(tmp_path / f"t.{fmt}"))
        assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "t.png") as png:  # the whole tree: wide, yet not absurdly
        assert 400 < png.width < 12_000 and 100 < png.height < 4_000
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    dot = pydot.graph_from_dot_data((tmp_path / "t.dot").read_text())[0]
    nodes = [n for n in dot.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
    assert len(nodes) == len(tree.children_left_)  # every node of the tree
    rules_text = (tmp_path / "t.rules").read_text()
    assert len(rules_text.splitlines()) == tree.n_leaves_


def test_without_dot_the_text_exports_still_work_and_pictures_say_how(tiny_mnist_run, tmp_path,
                                                                    cli):
    env = {"PATH": str(tmp_path)}  # no dot program on it
    run = str(tiny_mnist_run.path)
    r = cli("export", run, "--tree", "tree", "--format", "svg", "-o", str(tmp_path / "t.svg"),
                   env=env)
    assert r.returncode == 2 and "apt-get install graphviz" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "t.svg").exists()
    r = cli("export", run, "--tree", "tree", "--format", "dot", env=env)
    assert r.returncode == 0 and r.stdout.startswith("digraph")


def test_the_whole_tree_is_drawn_in_several_rows_of_leaves(tiny_mnist_run):
    tree = tiny_mnist_run.load_student("tree")
    dot = pydot.graph_from_dot_data(tree_dot(tree, view="whole"))[0]
    minlens = {e.get("minlen") for e in dot.get_edges()}
    assert minlens == {None, "2"}  # every other leaf one row lower
    text = rules(tree)
    assert len(text.splitlines()) == tree.n_leaves_ and "predicts" not in text


def test_integrated_gradients_add_up_to_the_logit_gap(tiny_mnist_run):
    teacher = tiny_mnist_run.load_teacher()
    for image in tiny_mnist_run.predictions["x_test"][:5]:
        target = int(teacher.predict(image[None])[0])
        s = saliency(teacher, image, target, steps=128)
        assert s.shape == (28, 28)
        gap = logit_gap(teacher, image, target)
        assert s.sum() == pytest.approx(gap, rel=0.05, abs=0.05)
        gxi = saliency(teacher, image, target, method="gradient-x-input")
        assert gxi.shape == (28, 28) and np.abs(gxi).sum() > 0


def test_explain_gives_json_for_every_kind(tiny_run):
    image = tiny_run.predictions["x_test"][3]
    for name in tiny_run.student_names:
        student = tiny_run.load_student(name)
        e = json.loads(json.dumps(explain(student, image)))  # plain JSON
        assert e["kind"] == tiny_run.student_entry(name)["kind"]
        assert e["prediction"] == int(student.predict(image[None])[0])


def test_cli_explains_samples_as_json_lines(tiny_mnist_run, cli):
    r = cli("explain", tiny_mnist_run.path, "--student", "tree", "--sample", "3,17,42", "--json")
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["sample"] for o in objs] == [3, 17, 42]
    saved = tiny_mnist_run.student_proba("tree.transfer").argmax(1)
    for o in objs:
        assert o["prediction"] == saved[o["sample"]]
        assert {"feature", "region", "threshold", "value", "goes"} <= set(o["path"][0])
        assert {"node", "distribution"} <= set(o["leaf"])
    r = cli("explain", tiny_mnist_run.path, "--student", "bernoulli-nb", "--sample", "all",
            "--json")
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs) == len(tiny_mnist_run.predictions["y_true"])
    o = objs[0]
    assert np.asarray(o["evidence"]).shape == (28, 28)
    assert np.sum(o["evidence"]) + o["prior"] == pytest.approx(o["log_odds"], abs=1e-6)


def test_cli_prints_dot_and_refuses_bad_samples(tiny_mnist_run, cli):
    r = cli("explain", tiny_mnist_run.path, "--student", "tree", "--sample", "5", "--dot")
    assert r.returncode == 0 and r.stdout.startswith("digraph")
    pydot.graph_from_dot_data(r.stdout)
    r = cli("explain", tiny_mnist_run.path, "--student", "tree", "--sample", "100000")
    assert r.returncode == 2 and "out of range" in r.stderr and "Traceback" not in r.stderr
    r = cli("explain", tiny_mnist_run.path, "--student", "linear", "--dot")
    assert r.returncode == 2 and "decision trees" in r.stderr


def test_a_run_keeps_the_teachers_evidence_for_every_test_digit(tiny_mnist_run):
    x = tiny_mnist_run.predictions["x_test"]
    answers = tiny_mnist_run.predictions["teacher_proba"].argmax(1)
    maps = tiny_mnist_run.saliency
    assert maps.shape == x.shape and maps.dtype == np.float16
    teacher = tiny_mnist_run.load_teacher()
    for i in range(4):  # the stored map is the integral computed live, in half precision
        live = saliency(teacher, x[i], int(answers[i]))
        np.testing.assert_allclose(maps[i].astype(np.float32), live, atol=2e-3 * np.abs(live)
                                   .max() + 1e-4)


def test_a_run_saved_before_the_maps_computes_and_keeps_them_once(tiny_mnist_run, tmp_path):
    import shutil

    from distill.runs import Run
    shutil.copytree(tiny_mnist_run.path, tmp_path / "old")
    (tmp_path / "old" / "saliency.npz").unlink()
    old = Run(tmp_path / "old")
    assert old.saliency is None
    maps = old.ensure_saliency()
    assert (tmp_path / "old" / "saliency.npz").exists()
    assert not list((tmp_path / "old").glob(".tmp-*"))  # written atomically
    np.testing.assert_array_equal(Run(tmp_path / "old").saliency, maps)
    # the same maps as at save time (the reloaded network rounds a hair differently)
    np.testing.assert_allclose(maps.astype(np.float32), tiny_mnist_run.saliency.astype(
        np.float32), atol=1e-3 * np.abs(maps).max())


def test_computing_an_old_runs_maps_stops_when_asked_and_keeps_nothing(tiny_mnist_run,
                                                                      tmp_path):
    import shutil

    from distill.progress import Cancelled
    from distill.runs import Run
    shutil.copytree(tiny_mnist_run.path, tmp_path / "old")
    (tmp_path / "old" / "saliency.npz").unlink()
    old = Run(tmp_path / "old")
    reports = []

    def stop_after_one(event):
        reports.append(event)
        raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        old.ensure_saliency(stop_after_one)
    assert len(reports) == 1 and reports[0]["fraction"] < 1
    assert old.saliency is None and not (tmp_path / "old" / "saliency.npz").exists()


def test_dot_quotes_as_the_graphviz_package_does():
    import warnings

    from graphviz.quoting import quote

    from distill.explain.drawing import _quote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # graphviz warns about a trailing backslash
        for text in ["n12", "a b", "3.5", "-.5", "node", "Graph", 'say "yes"', 'x\\"y',
                     'x\\\\"y', "<b>bold</b>", "predicts 6 (28%)\n12 samples", "", "a\\",
                     "→ predicts ④"]:
            assert _quote(text) == quote(text), text


def test_each_rule_is_its_leafs_path_in_words(tiny_mnist_run):
    """Read against the tree's arrays: the leaves left to right, each with every split on its
    way (the region, the side, the threshold) and the leaf's class, share and count."""
    from distill.explain.tree import percent
    from distill.features import describe_rect
    tree = tiny_mnist_run.load_student("tree")
    left, right = tree.children_left_, tree.children_right_

    def leaves(node, path):
        if left[node] < 0:
            yield node, path
            return
        yield from leaves(int(left[node]), path + [(node, "<=")])
        yield from leaves(int(right[node]), path + [(node, ">")])

    lines = rules(tree).splitlines()
    expected = list(leaves(0, []))
    assert len(lines) == len(expected) == tree.n_leaves_
    for line, (leaf, path) in zip(lines, expected):
        words = [f"ink[{describe_rect(tree.rects_[tree.feature_[n]], tree.image_shape_)}] "
                 f"{side} {percent(tree.threshold_[n])}" for n, side in path]
        dist = tree.value_[leaf]
        assert line == (f"if {' and '.join(words)}: {int(dist.argmax())} ({dist.max():.0%}, "
                        f"{tree.n_node_samples_[leaf]:.0f} samples)")
    assert percent(0.35) == "35%" and percent(0.0512) == "5.1%" and percent(0.05) == "5%"


def test_evidence_json_names_the_class_it_argues_against(tiny_mnist_run):
    student = tiny_mnist_run.load_student("linear")
    image = tiny_mnist_run.predictions["x_test"][0]
    data = evidence(student, image, versus=3).to_dict()
    assert set(data) == {"prediction", "versus", "evidence", "prior", "log_odds"}
    assert data["versus"] == 3 and data["prediction"] == int(student.predict(image[None])[0])


def test_evidence_weighs_against_the_runner_up_unless_told_and_refuses_the_prediction(
        tiny_mnist_run):
    for label in EVIDENCE:
        student = tiny_mnist_run.load_student(label)
        for image in tiny_mnist_run.predictions["x_test"][:4]:
            proba = student.predict_proba(image[None])[0]
            first, second = np.argsort(-proba, kind="stable")[:2]
            e = evidence(student, image)
            assert (e.prediction, e.versus) == (first, second), label
            others = ", ".join(str(c) for c in range(10) if c != first)
            with pytest.raises(ValueError, match=f"^cannot weigh class {first} against class "
                               f"{first}: pick another of {others}$"):
                evidence(student, image, versus=int(first))


def test_the_leaves_under_a_node_are_every_leaf_below_it_left_to_right(tiny_mnist_run):
    from distill.explain.tree import subtree_leaves
    tree = tiny_mnist_run.load_student("tree")
    left, right = tree.children_left_, tree.children_right_

    def below(node):
        return [node] if left[node] < 0 else below(int(left[node])) + below(int(right[node]))

    inner = [n for n in range(len(left)) if left[n] >= 0]
    assert len(inner) >= 3
    for node in inner[:6] + [0]:
        assert subtree_leaves(tree, node) == below(node)
    leaf = next(n for n in range(len(left)) if left[n] < 0)
    assert subtree_leaves(tree, leaf) == [leaf]


def test_a_one_leaf_tree_is_one_rule_that_always_holds_and_a_branch_says_what_it_holds(
        tiny_mnist_run):
    from distill.explain.tree import subtree_summary
    from distill.students import make_student
    x = tiny_mnist_run.predictions["x_test"][:20]
    stump = make_student("tree", n_classes=10, max_leaf_nodes=2).fit(x, np.full(20, 7))
    assert rules(stump).splitlines() == ["if always: 7 (100%, 20 samples)"]
    tree = tiny_mnist_run.load_student("tree")
    summary = subtree_summary(tree, 0)
    assert summary["samples"] == tree.n_node_samples_[0]
    assert summary["share"] == pytest.approx(tree.value_[0].max())


def test_a_pixel_trees_questions_ask_about_ink_at_a_pixel(tiny_mnist_run):
    from distill.explain.tree import question
    from distill.students import make_student
    x = tiny_mnist_run.predictions["x_test"]
    y = tiny_mnist_run.predictions["y_true"]
    tree = make_student("pixel-tree", n_classes=10, max_leaf_nodes=4).fit(x, y)
    r, c = tree.rects_[tree.feature_[0]][:2]
    assert question(tree, 0).startswith(f"ink at pixel (row {r}, column {c}) above ")
    region = tiny_mnist_run.load_student("tree")
    assert question(region, 0).startswith("ink in ")
