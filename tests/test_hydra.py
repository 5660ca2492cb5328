"""Hydra overrides: the YAML subset Hydra writes, read without a YAML library."""

import os

import pytest

from modagg.hydra import OverridesError, find_overrides, parse_overrides, read_overrides


def test_bundled_example(example):
    run = example / "arch.fully_connected.activation_fn=silu,training.max_steps=300"
    assert read_overrides(run) == {"arch.fully_connected.activation_fn": "silu", "training.max_steps": "300"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- a=1\n- b.c=x\n", {"a": "1", "b.c": "x"}),
        ("[]\n", {}),
        ("", {}),
        ("- 'optimizer.lr=0.001'\n", {"optimizer.lr": "0.001"}),
        ("- 'name=it''s'\n", {"name": "it's"}),
        ('- "title=tab\\there"\n', {"title": "tab\there"}),
        ("- arch.layers=[64,64,64]\n", {"arch.layers": "[64,64,64]"}),
        ("- 'expr=a=b,c=d'\n", {"expr": "a=b,c=d"}),
        ("- +experiment=ldc\n- ++seed=3\n", {"experiment": "ldc", "seed": "3"}),
        ("- ~scheduler\n", {"~scheduler": ""}),
        ("- 'long=one two\n  three four'\n", {"long": "one two three four"}),
        ("- a=\n", {"a": ""}),
        ("# written by hydra\n- a=1\n", {"a": "1"}),
    ],
)
def test_parse(text, expected):
    assert parse_overrides(text) == expected


@pytest.mark.parametrize("text", ["a: 1\n", "- 'open\n", "- {a: 1}\n", "- =value\n", "key=value\n"])
def test_not_a_list_of_overrides(text):
    with pytest.raises(OverridesError):
        parse_overrides(text)


def test_overrides_of_a_subfolder_run_come_from_the_parent(tmp_path):
    run = tmp_path / "outputs" / "lr=0.1" / "ldc"
    os.makedirs(run / ".hydra")
    (run / ".hydra" / "overrides.yaml").write_text("- lr=0.1\n")
    os.makedirs(run / "network_dir")
    assert find_overrides(run / "network_dir", stop=tmp_path / "outputs") == str(run / ".hydra" / "overrides.yaml")
    assert read_overrides(run / "network_dir", stop=tmp_path / "outputs") == {"lr": "0.1"}
    assert find_overrides(tmp_path / "outputs", stop=tmp_path / "outputs") is None


def test_missing_is_empty_and_broken_warns(tmp_path):
    assert read_overrides(tmp_path) == {}
    os.makedirs(tmp_path / ".hydra")
    (tmp_path / ".hydra" / "overrides.yaml").write_text("lr: 0.1\n")
    problems = []
    assert read_overrides(tmp_path, problems=problems) == {}
    assert problems == [(str(tmp_path / ".hydra" / "overrides.yaml"), "cannot read the overrides: line 1: expected a list item '- key=value'")]
