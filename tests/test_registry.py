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


def test_names_are_unique():
    things = Registry("thing")
    things.register("alpha")(object())
    with pytest.raises(ValueError, match="registered twice"):
        things.register("alpha")(object())


def test_lookup_suggests_or_lists():
    things = Registry("thing")
    for name in ("resnet50_unet", "vgg_unet"):
        things.register(name)(object())
    with pytest.raises(ConfigError, match=r"unknown thing 'resnet50_unte' \(did you mean 'resnet50_unet'\?\)"):
        things.get("resnet50_unte")
    with pytest.raises(ConfigError, match=r"available: resnet50_unet, vgg_unet"):
        things.get("pspnet")
