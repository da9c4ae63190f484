"""scripts/site_release.py: which notebooks a site build publishes, and its settings' errors."""

import pytest

import build_site
import site_release
from site_release import Release, release_from_environment


def test_the_default_is_the_student_site_with_every_module():
    assert release_from_environment({}) == Release(solutions=False, up_to_module=None)
    assert release_from_environment({"TINYTORCH_RELEASE": "", "TINYTORCH_SOLUTIONS": "0"}).notebook_kind == "student"


def test_the_solutions_build_publishes_the_reference_notebooks():
    release = release_from_environment({"TINYTORCH_SOLUTIONS": "1", "TINYTORCH_RELEASE": "08"})
    assert release == Release(solutions=True, up_to_module="08")
    assert release.notebook_kind == "reference"


@pytest.mark.parametrize("variable, value, message", [
    ("TINYTORCH_SOLUTIONS", "yes", "TINYTORCH_SOLUTIONS='yes': use 1"),
    ("TINYTORCH_RELEASE", "8", "TINYTORCH_RELEASE='8': give the last module to publish as two digits"),
    ("TINYTORCH_RELEASE", "08_training", "two digits, e.g. TINYTORCH_RELEASE=08"),
])
def test_a_bad_setting_is_refused_with_its_name(variable, value, message):
    with pytest.raises(SystemExit, match=message):
        release_from_environment({variable: value})


def test_every_milestone_says_after_which_module_it_comes():
    places = site_release.milestone_places(build_site.MILESTONES)
    assert places == {"1958": "04", "1969": "08", "1986": "08", "1998": "09", "2017": "13", "2018": "20"}
    with pytest.raises(SystemExit, match="does not say where it goes"):
        site_release.milestone_places(["1999 Something new"])


def test_a_release_stages_modules_up_to_it_and_the_milestones_placed_after_them(tmp_path, monkeypatch):
    notebooks, staged = tmp_path / "notebooks", tmp_path / "site_notebooks"
    names = ["01_tensor", "08_training", "09_convolutions", "milestones/1958_perceptron",
             "milestones/1986_mlp_digits", "milestones/1998_cnn"]
    for kind in ("student", "reference"):
        for name in names:
            (notebooks / kind / name).parent.mkdir(parents=True, exist_ok=True)
            (notebooks / kind / f"{name}.ipynb").write_text(kind)
    monkeypatch.setattr(site_release, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(site_release, "SITE_NOTEBOOKS", staged)
    published = site_release.stage_notebooks(Release(solutions=True, up_to_module="08"), build_site.MILESTONES)
    assert [path.relative_to(staged).as_posix() for path in published] == [
        "01_tensor.ipynb", "08_training.ipynb", "milestones/1958_perceptron.ipynb", "milestones/1986_mlp_digits.ipynb"]
    assert {path.read_text() for path in published} == {"reference"}
    everything = site_release.stage_notebooks(Release(), build_site.MILESTONES)
    assert len(everything) == len(names) and {path.read_text() for path in everything} == {"student"}
