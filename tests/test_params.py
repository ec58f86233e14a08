"""Parameters: parsed from the command line, checked, described, and capped on a demo."""

import pytest

from distill.params import Param, ParamError, check_all

LEAVES = Param("int", 2, 4096, label="leaves", none="no limit", hosted_high=512)
RATE = Param("float", 1e-5, 1.0, label="learning rate")
FLAG = Param("bool", label="deskew")
PICK = Param("choice", options=("a", "b"), label="method")


@pytest.mark.parametrize("param, text, value", [
    (LEAVES, "64", 64), (LEAVES, " 2 ", 2), (LEAVES, "4096", 4096),
    (LEAVES, "none", None), (LEAVES, "NULL", None), (LEAVES, "unlimited", None),
    (LEAVES, "", None),
    (RATE, "0.5", 0.5), (RATE, "1e-5", 1e-5), (RATE, "1", 1.0),
    (FLAG, "true", True), (FLAG, "Yes", True), (FLAG, "on", True), (FLAG, "1", True),
    (FLAG, "false", False), (FLAG, "NO", False), (FLAG, "off", False), (FLAG, "0", False),
    (PICK, "b", "b"), (PICK, " a", "a"),
])
def test_text_from_the_command_line_parses_to_its_value(param, text, value):
    parsed = param.parse("x", text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("param, text, words", [
    (LEAVES, "1", "leaves must be a whole number from 2 to 4096, or none (no limit), not 1"),
    (LEAVES, "4097", "leaves must be a whole number from 2 to 4096, or none (no limit), not "
                     "4097"),
    (LEAVES, "2.5", "leaves must be a whole number from 2 to 4096, or none (no limit), not "
                    "'2.5'"),
    (LEAVES, "many", "leaves must be a whole number from 2 to 4096, or none (no limit), not "
                     "'many'"),
    (RATE, "none", "learning rate must be a number from 1e-05 to 1"),
    (RATE, "2", "learning rate must be a number from 1e-05 to 1, not 2.0"),
    (RATE, "nan", "learning rate must be a number from 1e-05 to 1, not nan"),
    (RATE, "inf", "learning rate must be a number from 1e-05 to 1, not inf"),
    (FLAG, "maybe", "deskew must be true or false, not 'maybe'"),
    (PICK, "c", "method must be one of a, b, not 'c'"),
])
def test_bad_text_is_refused_in_words(param, text, words):
    with pytest.raises(ParamError) as err:
        param.parse("x", text)
    assert str(err.value) == words


def test_the_owner_and_the_name_say_whose_value_it_is():
    with pytest.raises(ParamError, match="^tree leaves must be"):
        LEAVES.parse("max_leaf_nodes", "0", owner="tree")
    with pytest.raises(ParamError, match="^tree max_leaf_nodes must be"):
        Param("int", 2, 9).check("max_leaf_nodes", 1, owner="tree")
    with pytest.raises(ParamError, match="^deskew must be true or false, not 1$"):
        FLAG.check("d", 1)
    assert FLAG.check("d", True) is True


def test_the_demos_cap_refuses_more_and_none():
    assert LEAVES.hosted_problem("n", 512) is None
    assert LEAVES.hosted_problem("n", 513) == "the demo allows leaves of at most 512"
    assert LEAVES.hosted_problem("n", None) == "the demo allows leaves of at most 512"
    assert Param("int", 1, 9, label="Epochs", hosted_high=6).hosted_problem(
        "e", 7, owner="Teacher") == "the demo allows teacher epochs of at most 6"
    assert RATE.hosted_problem("r", 1.0) is None  # no cap: anything the bounds allow
    assert LEAVES.upper(hosted=True) == 512 and LEAVES.upper(hosted=False) == 4096
    assert RATE.upper(hosted=True) == 1.0


def test_descriptions_and_every_problem_at_once():
    assert Param("int", 0, None).describe() == "a whole number from 0 to any"
    assert Param("float", 0.1, 20.0).describe() == "a number from 0.1 to 20"
    assert PICK.describe() == "one of a, b" and FLAG.describe() == "true or false"
    problems = check_all({"leaves": LEAVES, "rate": RATE, "pick": PICK},
                         {"leaves": 1, "rate": 0.5, "pick": "z", "other": "ignored"})
    assert problems == [
        "leaves must be a whole number from 2 to 4096, or none (no limit), not 1",
        "method must be one of a, b, not 'z'"]
    with pytest.raises(ValueError, match="^unknown parameter kind 'text'$"):
        Param("text")


@pytest.mark.parametrize("param, text, words", [
    (Param("int", 2, 9), "none", "tree max_leaf_nodes must be a whole number from 2 to 9"),
    (Param("int", 2, 9), "12", "tree max_leaf_nodes must be a whole number from 2 to 9, not 12"),
    (Param("choice", options=(1, 2)), "3", "tree max_leaf_nodes must be one of 1, 2, not '3'"),
])
def test_parsing_names_the_owner_and_the_parameter_in_every_refusal(param, text, words):
    with pytest.raises(ParamError) as err:
        param.parse("max_leaf_nodes", text, owner="tree")
    assert str(err.value) == words


def test_checks_refuse_the_wrong_kind_of_number_and_take_numpys_bools():
    import numpy as np
    for bad in (2.5, True, "3"):
        with pytest.raises(ParamError, match="^leaves must be a whole number"):
            LEAVES.check("n", bad)
    assert FLAG.check("d", np.bool_(True)) is True
    assert RATE.check("r", 1) == 1  # a whole number is a number
    assert Param("float", 0.5, 2.5).describe() == "a number from 0.5 to 2.5"
    assert check_all({"max_leaf_nodes": Param("int", 2, 9)}, {"max_leaf_nodes": 1},
                     owner="tree") == ["tree max_leaf_nodes must be a whole number from 2 to 9, "
                                       "not 1"]
