import json
import sys
import textwrap

import pytest

from segbench.errors import ConfigError
from segbench.registry import Registry


def test_register_and_get():
    things = Registry("thing")

    @things.register("alpha", options=dict)
    def alpha():
        return 1

    assert things.get("alpha") is alpha
    assert things.options("alpha") is dict
    assert "alpha" in things and things.names() == ["alpha"]


def test_names_are_unique_and_a_clash_names_both_modules():
    things = Registry("thing")
    things.register("alpha")(json.dumps)
    with pytest.raises(ConfigError, match="thing 'alpha' is registered twice: by json and by textwrap"):
        things.register("alpha")(textwrap.dedent)


def test_lookup_suggests_or_lists():
    things = Registry("thing")
    for name in ("resnet50_unet", "vgg_unet"):
        things.register(name)(object())
    with pytest.raises(ConfigError, match=r"unknown thing 'resnet50_unte' \(did you mean 'resnet50_unet'\?\)"):
        things.get("resnet50_unte")
    with pytest.raises(ConfigError, match=r"available: resnet50_unet, vgg_unet"):
        things.get("pspnet")


def test_a_registry_imports_its_locations_the_first_time_it_is_asked(tmp_path, monkeypatch):
    (tmp_path / "my_plugins.py").write_text(
        "from tests_registry_target import THINGS\n\n@THINGS.register('widget')\ndef widget():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import types

    target = types.ModuleType("tests_registry_target")
    target.THINGS = Registry("thing", ("my_plugins",))
    monkeypatch.setitem(sys.modules, "tests_registry_target", target)
    things = target.THINGS
    assert "my_plugins" not in sys.modules  # nothing imported at creation
    assert things.names() == ["widget"] and things.get("widget")() == 1
    assert "my_plugins" in sys.modules
    monkeypatch.delitem(sys.modules, "my_plugins")
