"""scripts/course_map.py: the parts, prerequisites and learning-path picture the site's progress page uses."""

import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import build_site  # noqa: E402
import course_map  # noqa: E402
import site_release  # noqa: E402

DEFAULT_RELEASE = site_release.release_from_environment({})  # the default build, whatever this shell sets


def test_expected_parts_are_the_checks_a_module_calls_in_order_with_their_titles():
    parts = course_map.expected_parts(ROOT / "content" / "01_tensor.py")
    assert [part["check"] for part in parts][:3] == ["check_creation", "check_arithmetic", "check_matmul"]
    assert parts[0] == {"module": "tensor", "check": "check_creation", "title": "Part 1 · creating tensors"}
    assert all(part["title"].startswith("Part ") for path in course_map.module_sources().values()
               for part in course_map.expected_parts(path))


def test_every_module_has_parts_and_every_check_function_of_its_topic_is_called():
    for number, path in course_map.module_sources().items():
        parts = course_map.expected_parts(path)
        assert parts, f"{path.name} calls no check"
        for topic in {part["module"] for part in parts}:
            called = {part["check"] for part in parts if part["module"] == topic}
            assert called == set(course_map.check_titles(topic)), (path.name, topic)


def test_a_call_to_a_check_without_a_title_is_a_build_error(tmp_path):
    source = tmp_path / "01_fake.py"
    source.write_text("from tinytorch.checks.tensor import assert_close\nassert_close(1, 1, 'x')\n")
    with pytest.raises(SystemExit, match="assert_close.*no @check title"):
        course_map.expected_parts(source)


def test_prerequisites_come_from_the_connection_map():
    modules = course_map.module_sources()
    assert course_map.prerequisites(modules["01"]) == []
    assert course_map.prerequisites(modules["03"]) == ["01", "02"]
    assert course_map.prerequisites(modules["13"]) == ["03", "06", "07", "08", "10", "11", "12"]


def test_direct_prerequisites_drop_the_ones_another_prerequisite_already_needs():
    assert course_map.direct_prerequisites({"01": [], "02": ["01"], "03": ["01", "02"], "05": ["01", "03"]}) == \
        {"01": [], "02": ["01"], "03": ["02"], "05": ["03"]}


@pytest.fixture(scope="module")
def course():
    notebooks = build_site.student_notebooks(DEFAULT_RELEASE)  # fails with a clear message when build_content has not run
    return course_map.course_data(notebooks)


def test_course_data_lists_every_shipped_notebook_with_its_version_and_page(course):
    names = {path.name for path in build_site.student_notebooks(DEFAULT_RELEASE)}
    assert set(course["notebooks"]) == names
    tensor = course["notebooks"]["01_tensor.ipynb"]
    assert tensor["page"] == "modules/01_tensor.html" and re.fullmatch(r"[0-9a-f]{12}", tensor["version"])
    assert course["notebooks"]["1986_mlp_digits.ipynb"]["after"] == ["08"]


def test_the_learning_path_svg_has_one_linked_box_per_notebook_and_an_arrow_per_direct_prerequisite(course):
    svg = ElementTree.fromstring(course_map.learning_path_svg(course))
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    nodes = svg.findall(".//svg:a[@class='path-node']", namespace)
    assert sorted(node.get("data-notebook") for node in nodes) == sorted(course["notebooks"])
    assert all(node.get("href") == course["notebooks"][node.get("data-notebook")]["page"] for node in nodes)
    edges = {(edge.get("data-from"), edge.get("data-to")) for edge in svg.findall(".//svg:path[@class='path-edge']", namespace)}
    assert ("01", "02") in edges and ("12", "13") in edges and ("08", "1986") in edges
    assert ("01", "03") not in edges, "an arrow already implied by 01 -> 02 -> 03"
    tiers = [text.text for text in svg.findall(".//svg:text[@class='path-tier']", namespace)]
    assert tiers == [*build_site.TIERS, "Milestones"]
