"""The GitHub Pages workflow (.github/workflows/pages.yml) can run as written: checked offline, since it only
runs on GitHub. Each action is one we know, at its major version, given only inputs its action.yml declares;
every shell step parses and names files and scripts that exist; the published folder is the one the build
writes; the deploy job has the permissions Pages needs."""

import re
import subprocess
from pathlib import Path

import yaml

import build_site

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
# The actions the workflow uses, at the major version written, with the inputs each one's action.yml declares.
KNOWN_ACTIONS = {
    "actions/checkout@v4": {"repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
                            "persist-credentials", "path", "clean", "filter", "sparse-checkout",
                            "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs",
                            "submodules", "set-safe-directory", "github-server-url"},
    "actions/setup-python@v5": {"python-version", "python-version-file", "cache", "architecture",
                                "check-latest", "token", "cache-dependency-path", "update-environment",
                                "allow-prereleases", "freethreaded"},
    "actions/setup-node@v4": {"always-auth", "node-version", "node-version-file", "architecture", "check-latest",
                              "registry-url", "scope", "token", "cache", "cache-dependency-path"},
    "actions/cache@v4": {"path", "key", "restore-keys", "upload-chunk-size", "enableCrossOsArchive",
                         "fail-on-cache-miss", "lookup-only", "save-always"},
    "actions/upload-pages-artifact@v3": {"name", "path", "retention-days"},
    "actions/deploy-pages@v4": {"token", "timeout", "error_count", "reporting_interval", "artifact_name", "preview"},
}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")
KNOWN_CONTEXTS = {"github", "runner", "steps", "env", "inputs", "needs", "job", "matrix", "secrets", "vars"}


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps():
    return [(name, step) for name, job in workflow()["jobs"].items() for step in job["steps"]]


def test_triggers_on_pushes_to_main_pull_requests_and_by_hand():
    triggers = workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers and "workflow_dispatch" in triggers


def test_every_action_is_known_at_its_major_version_with_known_inputs():
    for job, step in steps():
        assert ("uses" in step) != ("run" in step), f"{job}: a step needs exactly one of uses/run: {step}"
        if "uses" in step:
            assert step["uses"] in KNOWN_ACTIONS, f"{job}: unknown action or version {step['uses']}"
            unknown = set(step.get("with", {})) - KNOWN_ACTIONS[step["uses"]]
            assert not unknown, f"{job}: {step['uses']} has no input {unknown}"


def test_expressions_use_known_contexts_and_existing_step_ids():
    text = WORKFLOW.read_text()
    step_ids = {step["id"] for _, step in steps() if "id" in step}
    for expression in EXPRESSION.findall(text):
        code = re.sub(r"'[^']*'", "''", expression)  # string literals ('package-lock.json') are no contexts
        for context in re.findall(r"(?<![\w.-])([a-z_]+)\.", code):
            assert context in KNOWN_CONTEXTS, f"unknown context {context!r} in ${{{{{expression}}}}}"
        for step_id in re.findall(r"steps\.([\w-]+)\.", expression):
            assert step_id in step_ids, f"no step with id {step_id!r}"
    for files in re.findall(r"hashFiles\(([^)]*)\)", text):
        for name in re.findall(r"'([^']+)'", files):
            assert (ROOT / name).is_file(), f"hashFiles names {name}, which does not exist"


def test_every_shell_step_parses_and_its_scripts_and_files_exist():
    for job, step in steps():
        if "run" not in step:
            continue
        script = step["run"]
        subprocess.run(["bash", "-n", "-c", script], check=True)
        for path in re.findall(r"(?:bash|python) ((?:scripts|\.ci)/[\w./-]+)", script):
            assert (ROOT / path).is_file(), f"{job}: runs {path}, which does not exist"
        for pattern, path in re.findall(r"grep '([^']+)' ([\w./-]+)", script):
            lines = [line for line in (ROOT / path).read_text().splitlines() if re.search(pattern, line)]
            assert len(lines) == 1, f"{job}: grep {pattern!r} {path} finds {lines}, not one line"


def test_the_build_runs_the_same_command_as_the_readme_and_ci():
    commands = [step["run"].strip() for _, step in steps() if "run" in step]
    assert "bash scripts/test.sh" in commands
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_browser_is_linked_where_setup_and_the_browser_test_look():
    chromium = re.search(r'^CHROMIUM = "([^"]+)"', (ROOT / "tests" / "browser" / "test_e2e.py").read_text(), re.M)[1]
    link = next(step["run"] for _, step in steps() if "run" in step and "ln -sf" in step["run"])
    assert link.rstrip().endswith(chromium)
    assert f"[ -x {chromium} ]" in (ROOT / "scripts" / "setup.sh").read_text()


def test_the_published_folder_is_the_site_the_build_writes():
    upload = next(step for _, step in steps() if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert ROOT / upload["with"]["path"] == build_site.HTML


def test_only_main_deploys_with_the_permissions_pages_needs():
    jobs = workflow()["jobs"]
    assert workflow()["permissions"] == {"contents": "read"}
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    main_only = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["if"] == main_only
    upload = next(step for _, step in steps() if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["if"] == main_only


def test_the_release_step_rebuilds_with_a_valid_setting():
    step = next(step for _, step in steps() if "TINYTORCH_RELEASE" in step.get("env", {}))
    value = step["env"]["TINYTORCH_RELEASE"]
    assert value == "" or re.fullmatch(r"\d\d", value), f"TINYTORCH_RELEASE={value!r}: two digits, or empty for all"
    assert "scripts/build_site.py" in step["run"]


def test_python_version_is_one_the_project_supports():
    with_python = next(step["with"] for _, step in steps() if step.get("uses", "").startswith("actions/setup-python"))
    required = re.search(r'requires-python = ">=3\.(\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert int(with_python["python-version"].split(".")[1]) >= int(required)
