"""scripts/nbgrader_source.py writes nbgrader source notebooks whose cell metadata follows nbgrader's rules.

The rules are those nbgrader's documentation gives for its cell metadata (schema version 3), restated
here: nbgrader itself is not a dependency (it brings a Jupyter server and a database).
"""
import jsonschema
import nbformat
import pytest

import build_content
import nbgrader_source
from build_content import check_calls

NBGRADER_CELL_SCHEMA = {
    "type": "object",
    "properties": {
        "schema_version": {"const": 3},
        "grade": {"type": "boolean"},  # graded: has points (autograder tests, manually graded answers)
        "solution": {"type": "boolean"},  # the learner answers here (nbgrader clears its solution regions)
        "locked": {"type": "boolean"},  # read-only: nbgrader restores it before grading
        "task": {"type": "boolean"},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_-]+$"},
        "points": {"type": "number", "minimum": 0},
        "cell_type": {"type": "string"},
        "checksum": {"type": "string"},
    },
    "required": ["grade", "solution", "locked", "grade_id", "schema_version"],
    "additionalProperties": False,
}
MODULES = build_content.sources()
PARTS = {"02_activations": 6, "05_dataloader": 4}  # the @check titles each module's notebook calls


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader_course")
    written = nbgrader_source.write_source(out)
    return out, written


def released(course, source):
    out, _ = course
    return nbformat.read(out / "source" / source.stem / f"{source.stem}.ipynb", as_version=4)


def test_every_module_is_laid_out_as_source_assignment_notebook(course):
    out, written = course
    assert sorted(written) == sorted(out / "source" / s.stem / f"{s.stem}.ipynb" for s in MODULES)


@pytest.mark.parametrize("source", MODULES, ids=lambda p: p.stem)
def test_cell_metadata_follows_nbgraders_rules(course, source):
    notebook = released(course, source)
    nbformat.validate(notebook)
    grade_ids = []
    for cell in notebook.cells:
        meta = cell.metadata["nbgrader"]
        jsonschema.validate(meta, NBGRADER_CELL_SCHEMA)
        assert ("points" in meta) == meta["grade"], f"{meta['grade_id']}: points belong to graded cells only"
        if cell.cell_type == "markdown" and not meta.get("task", False):
            assert meta["grade"] == meta["solution"], f"{meta['grade_id']}: a markdown answer is both or neither"
        if build_content.BEGIN in cell.source or build_content.END in cell.source:
            assert meta["solution"], f"{meta['grade_id']}: nbgrader clears solution regions in solution cells only"
        grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)), "grade ids must be unique in a notebook"


@pytest.mark.parametrize("source", MODULES, ids=lambda p: p.stem)
def test_exercises_are_answers_checks_are_locked_tests_and_the_rest_is_read_only(course, source):
    notebook = released(course, source)
    reference = build_content.reference_notebook(build_content.read(source), source.name)
    assert [c.source for c in notebook.cells] == [c.source for c in reference.cells]
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["tinytorch"]["notebook"] == source.stem
    for cell in notebook.cells:
        meta = cell.metadata["nbgrader"]
        is_exercise = cell.cell_type == "code" and build_content.BEGIN in cell.source
        # a check cell imports a check and calls it (module 04 also imports a helper, numerical_gradient)
        is_check = cell.cell_type == "code" and "from tinytorch.checks" in cell.source and "check_" in cell.source
        assert meta["solution"] == is_exercise and meta["locked"] == (not is_exercise), meta["grade_id"]
        assert meta["grade"] == is_check, meta["grade_id"]
        if is_check:
            assert meta["points"] == len(check_calls(cell.source)) >= 1
    assert any(c.metadata["nbgrader"]["grade"] for c in notebook.cells), "a module's checks are its tests"


@pytest.mark.parametrize("name, parts", PARTS.items())
def test_a_modules_points_are_its_parts(course, name, parts):
    notebook = released(course, build_content.CONTENT / f"{name}.py")
    assert sum(c.metadata["nbgrader"].get("points", 0) for c in notebook.cells) == parts


def test_the_schema_restated_here_rejects_what_nbgrader_rejects():
    """The restated rules can fail: a grade id with a space, and an unknown key, are refused."""
    for bad in [{"grade": False, "solution": True, "locked": False, "grade_id": "my answer", "schema_version": 3},
                {"grade": False, "solution": True, "locked": False, "grade_id": "a", "schema_version": 3, "x": 1}]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, NBGRADER_CELL_SCHEMA)
