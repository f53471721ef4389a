"""The dbt project's conventions, checked on the manifest `dbt parse` writes.

The layout follows dbt Labs' "How we structure our dbt projects": a folder per source under
models/staging/ (models/staging/<source>/, its base models in base/), then
models/intermediate/ and models/marts/<area>/. Each rule below is a function of the parsed
manifest returning its violations, one line each; `test_the_project_follows_its_conventions`
asks every rule of the real project for none, and `test_each_rule_finds_an_injected_violation`
gives each rule a copy of the manifest with one violation put in, so that no rule passes
because it cannot fail. The SQL style rules that sqlfluff checks (docs/sql-style.md) are not
repeated here; `select *` is, because the linter cannot tell an import CTE from what a model
publishes when the columns behind a ref() are unknown to it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import pytest

from conftest import parsed_manifest

PROJECT = "ecommerce_analytics"
Manifest = dict[str, Any]
Rule = Callable[[Manifest], list[str]]

# Models without a primary-key test (unique + not_null on one column, unique_combination, or
# has_exactly_one_row), each with the reason.
NO_PRIMARY_KEY = {
    "stg_event_lines": (
        "one row per raw line, exact duplicate lines included (stg_events removes them): no "
        "column or set of columns is unique by design; event_id is the line's hash"
    ),
    "stg_events_quarantine": (
        "its grain is the rejected line's whole text (source_file, source_period, rejection_reason, "
        "field_count, raw_line: exactly its group by); a key test would compare every rejected "
        "line in full on Athena, and assert_every_raw_row_is_accounted_for already reconciles its "
        "occurrences with the lines read"
    ),
}

# Marts that read a source directly, each with the reason (none today).
MARTS_READING_SOURCES: dict[str, str] = {}

# The sub-folder a source's folder may have for base models, which the staging models of the
# same folder are built from. Base models keep the `stg_` prefix: their names are production
# Athena tables that QuickSight datasets and tests read, so only their files moved.
BASE_FOLDER = "base"

# Primary-key tests: a column with both of PER_COLUMN, or one of WHOLE_MODEL.
PER_COLUMN = {"unique", "not_null"}
WHOLE_MODEL = {"unique_combination", "has_exactly_one_row"}


# ------------------------------------------------------------------------------------------
# The manifest


def models(manifest: Manifest) -> dict[str, Any]:
    """The project's models by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }


def model_path(node: dict[str, Any]) -> PurePosixPath:
    return PurePosixPath(node["original_file_path"])


def layer(node: dict[str, Any]) -> str:
    """staging, intermediate or marts: the folder under models/."""
    parts = model_path(node).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else ""


def yaml_path(file_path: str) -> PurePosixPath:
    """A YAML file's path in the project (patch_path is `<package>://<path>`)."""
    return PurePosixPath(file_path.split("://", 1)[-1])


def without_comments(sql: str) -> str:
    """The SQL without Jinja comments, SQL line comments and Jinja statements; an expression
    becomes one word, `__relation__` for a ref() or source(), else `__jinja__`, so that the
    parentheses inside it do not count."""
    sql = re.sub(r"\{#.*?#\}", " ", sql, flags=re.DOTALL)
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"\{%.*?%\}", " ", sql, flags=re.DOTALL)
    sql = re.sub(r"\{\{\s*(?:ref|source)\(.*?\}\}", " __relation__ ", sql, flags=re.DOTALL)
    return re.sub(r"\{\{.*?\}\}", " __jinja__ ", sql, flags=re.DOTALL)


def at_depth_zero(sql: str) -> str:
    """The parts of `sql` outside every parenthesis (CTE bodies, function calls, subqueries)."""
    kept, depth = [], 0
    for character in sql:
        if character == "(":
            depth += 1
        elif character == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            kept.append(character)
    return "".join(kept)


def cte_bodies(sql: str) -> list[str]:
    """The text of each `name as ( ... )` of a `with` at the top of `sql`."""
    bodies = []
    for match in re.finditer(r"\b\w+\s+as\s*\(", sql, flags=re.IGNORECASE):
        depth, start = 1, match.end()
        for index in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[index], 0)
            if depth == 0:
                bodies.append(sql[start:index])
                break
    return bodies


# ------------------------------------------------------------------------------------------
# The rules


def rule_every_model_and_column_is_described(manifest: Manifest) -> list[str]:
    """A model has a description and documents its columns, each with a description.
    (test_dbt_project.py checks every *built* column against the catalog of a real build.)"""
    violations = []
    for name, node in sorted(models(manifest).items()):
        if not node["description"].strip():
            violations.append(f"{name}: no description")
        if not node["columns"]:
            violations.append(f"{name}: no documented column")
        for column, spec in node["columns"].items():
            if not spec.get("description", "").strip():
                violations.append(f"{name}.{column}: no description")
    return violations


def rule_every_model_has_a_primary_key_test(manifest: Manifest) -> list[str]:
    """unique and not_null on one column, or unique_combination / has_exactly_one_row, unless
    NO_PRIMARY_KEY says why the model has no key."""
    per_column: dict[tuple[str, str], set[str]] = {}
    whole_model: set[str] = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata") or not node.get("attached_node"):
            continue
        test, attached = node["test_metadata"]["name"], node["attached_node"]
        if test in WHOLE_MODEL:
            whole_model.add(attached)
        elif test in PER_COLUMN and node.get("column_name"):
            per_column.setdefault((attached, node["column_name"]), set()).add(test)
    keyed = whole_model | {attached for (attached, _), tests in per_column.items() if tests >= PER_COLUMN}
    violations = []
    for name, node in sorted(models(manifest).items()):
        has_key = node["unique_id"] in keyed
        if not has_key and name not in NO_PRIMARY_KEY:
            violations.append(f"{name}: no primary-key test (unique + not_null, or unique_combination)")
        if has_key and name in NO_PRIMARY_KEY:
            violations.append(f"{name}: has a primary-key test, so drop it from NO_PRIMARY_KEY")
    violations += [
        f"{name}: in NO_PRIMARY_KEY but not a model" for name in NO_PRIMARY_KEY if name not in models(manifest)
    ]
    return violations


def rule_marts_read_only_models(manifest: Manifest) -> list[str]:
    """A mart reads refs only; sources are read in staging (unless MARTS_READING_SOURCES says why)."""
    violations = []
    for name, node in sorted(models(manifest).items()):
        if layer(node) != "marts" or name in MARTS_READING_SOURCES:
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                violations.append(f"{name}: reads {parent.removeprefix('source.' + PROJECT + '.')} directly")
    return violations


def rule_staging_models_are_named_and_filed_by_source(manifest: Manifest) -> list[str]:
    """Under models/staging/ a model is `stg_<name>` in `staging/<source>/` (or its base/),
    where <source> is a source of the project, and reads only that source and staging models of
    the same folder; `stg_` names live nowhere else, nor `int_` names outside intermediate/."""
    source_names = {
        source["source_name"] for source in manifest["sources"].values() if source["package_name"] == PROJECT
    }
    all_models = models(manifest)
    by_id = {node["unique_id"]: node for node in all_models.values()}
    violations = []
    for name, node in sorted(all_models.items()):
        path = model_path(node)
        if layer(node) != "staging":
            if name.startswith("stg_"):
                violations.append(f"{name}: a stg_ model outside models/staging/ ({path})")
            if name.startswith("int_") and layer(node) != "intermediate":
                violations.append(f"{name}: an int_ model outside models/intermediate/ ({path})")
            continue
        if not name.startswith("stg_"):
            violations.append(f"{name}: a staging model not named stg_*")
        folders = path.parts[2:-1]
        if not folders or folders[0] not in source_names or folders[1:] not in ((), (BASE_FOLDER,)):
            violations.append(
                f"{name}: {path} is not in models/staging/<source>/ or its {BASE_FOLDER}/ "
                f"(sources: {', '.join(sorted(source_names))})"
            )
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                source_name = manifest["sources"][parent]["source_name"]
                if source_name != folders[0]:
                    violations.append(f"{name}: reads source {source_name} from the folder of {folders[0]}")
            elif parent in by_id and layer(by_id[parent]) == "staging":
                parent_folders = model_path(by_id[parent]).parts[2:-1]
                if parent_folders[:1] != folders[:1]:
                    violations.append(f"{name}: reads {by_id[parent]['name']} of another source's folder")
            elif parent in by_id:
                violations.append(f"{name}: a staging model reads {by_id[parent]['name']}, which is not staging")
    return violations


def rule_yaml_files_are_named_for_their_folder(manifest: Manifest) -> list[str]:
    """A model's YAML is `_<folder>__models.yml` beside its SQL; sources, unit tests and
    exposures are in `_<folder>__sources.yml`, `_<folder>__unit_tests.yml` and
    `_<folder>__exposures.yml` (a unit test beside the model it tests)."""

    def misnamed(path: PurePosixPath, kind: str) -> bool:
        return path.name != f"_{path.parent.name}__{kind}.yml"

    violations = []
    all_models = models(manifest)
    for name, node in sorted(all_models.items()):
        if not node.get("patch_path"):
            violations.append(f"{name}: no YAML file")
            continue
        patch = yaml_path(node["patch_path"])
        if misnamed(patch, "models"):
            violations.append(f"{name}: documented in {patch}, not _{patch.parent.name}__models.yml")
        if patch.parent != model_path(node).parent:
            violations.append(f"{name}: documented in {patch}, not beside {model_path(node)}")
    others = [
        ("sources", {s["original_file_path"] for s in manifest["sources"].values() if s["package_name"] == PROJECT}),
        (
            "exposures",
            {e["original_file_path"] for e in manifest["exposures"].values() if e["package_name"] == PROJECT},
        ),
    ]
    for kind, paths in others:
        violations += [
            f"{path}: holds {kind}, not named _<folder>__{kind}.yml"
            for path in sorted(paths)
            if misnamed(yaml_path(path), kind)
        ]
    for unit_test in sorted(manifest["unit_tests"].values(), key=lambda test: test["unique_id"]):
        if unit_test["package_name"] != PROJECT:
            continue
        path = yaml_path(unit_test["original_file_path"])
        if misnamed(path, "unit_tests"):
            violations.append(f"{unit_test['name']}: in {path}, not _{path.parent.name}__unit_tests.yml")
        tested = all_models.get(unit_test["model"])
        if tested and path.parent != model_path(tested).parent:
            violations.append(f"{unit_test['name']}: in {path}, not beside {model_path(tested)}")
    return violations


def rule_select_star_only_in_import_and_step_ctes(manifest: Manifest) -> list[str]:
    """docs/sql-style.md, AM04: `select *` imports a ref or source whole in a CTE of its own
    (`events as (select * from {{ ref('stg_events') }})`), or passes a CTE's columns on inside
    the model (`select *, <new columns> from renamed`); what a model publishes, its final
    select, names its columns, and no `select *` reads a ref or source outside an import CTE."""
    star_target = re.compile(r"(?:\bselect\s+(?:distinct\s+)?|,\s*)(?:\w+\.)?\*\s*(?:,|\bfrom\b|$)", re.IGNORECASE)
    star_of_relation = re.compile(r"\bselect\s+\*\s+from\s+__relation__", re.IGNORECASE)
    # the whole body: the relation, perhaps filtered (a subquery in the filter is fine), joined to nothing
    import_cte = re.compile(
        r"^\s*select\s+\*\s+from\s+__relation__\b(?!.*\b(?:join|select|union)\b)", re.IGNORECASE | re.DOTALL
    )
    violations = []
    for name, node in sorted(models(manifest).items()):
        sql = without_comments(node["raw_code"])
        final = re.split(r"\bselect\b", at_depth_zero(sql), flags=re.IGNORECASE)
        final_select = "select" + final[-1] if len(final) > 1 else ""
        targets = re.split(r"\bfrom\b", final_select, maxsplit=1, flags=re.IGNORECASE)[0]
        if star_target.search(targets + " from"):
            violations.append(f"{name}: its final select publishes `*` instead of naming its columns")
        bodies = cte_bodies(sql)
        imports = sum(1 for body in bodies if import_cte.match(at_depth_zero(body)))
        if len(star_of_relation.findall(sql)) > imports:
            violations.append(f"{name}: `select * from` a ref or source outside an import CTE")
    return violations


RULES: list[Rule] = [
    rule_every_model_and_column_is_described,
    rule_every_model_has_a_primary_key_test,
    rule_marts_read_only_models,
    rule_staging_models_are_named_and_filed_by_source,
    rule_yaml_files_are_named_for_their_folder,
    rule_select_star_only_in_import_and_step_ctes,
]


# ------------------------------------------------------------------------------------------
# The tests


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """The manifest of the test run's one `dbt parse` of the project, the parse every dbt
    command of the suite starts from (no database is opened)."""
    return parsed_manifest(tmp_path_factory)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_project_follows_its_conventions(manifest: Manifest, rule: Rule) -> None:
    assert len(models(manifest)) >= 24
    assert rule(manifest) == []


def _node(manifest: Manifest, name: str) -> dict[str, Any]:
    return models(manifest)[name]


def _drop_description(manifest: Manifest) -> str:
    _node(manifest, "dim_user")["columns"]["user_id"]["description"] = " "
    return "dim_user.user_id"


def _drop_key_tests(manifest: Manifest) -> str:
    target = _node(manifest, "int_products")["unique_id"]
    for test_id, node in list(manifest["nodes"].items()):
        is_attached = node["resource_type"] == "test" and node.get("attached_node") == target
        if is_attached and node.get("test_metadata", {}).get("name") == "unique":
            del manifest["nodes"][test_id]
    return "int_products"


def _read_a_source_in_a_mart(manifest: Manifest) -> str:
    source = next(iter(source_id for source_id in manifest["sources"] if source_id.endswith(".landed_files")))
    _node(manifest, "kpi_summary")["depends_on"]["nodes"].append(source)
    return "kpi_summary"


def _file_a_staging_model_outside_its_source(manifest: Manifest) -> str:
    _node(manifest, "stg_landed_files")["original_file_path"] = "models/staging/stg_landed_files.sql"
    return "stg_landed_files"


def _misname_a_yaml_file(manifest: Manifest) -> str:
    node = _node(manifest, "fact_sessions")
    node["patch_path"] = node["patch_path"].replace("_core__models.yml", "schema.yml")
    return "fact_sessions"


def _publish_select_star(manifest: Manifest) -> str:
    node = _node(manifest, "revenue_by_weekday")
    node["raw_code"] = node["raw_code"].rstrip() + "\n\nunion all\n\nselect * from {{ ref('fact_purchases') }}\n"
    return "revenue_by_weekday"


INJECTIONS: dict[Rule, Callable[[Manifest], str]] = {
    rule_every_model_and_column_is_described: _drop_description,
    rule_every_model_has_a_primary_key_test: _drop_key_tests,
    rule_marts_read_only_models: _read_a_source_in_a_mart,
    rule_staging_models_are_named_and_filed_by_source: _file_a_staging_model_outside_its_source,
    rule_yaml_files_are_named_for_their_folder: _misname_a_yaml_file,
    rule_select_star_only_in_import_and_step_ctes: _publish_select_star,
}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_each_rule_finds_an_injected_violation(manifest: Manifest, rule: Rule) -> None:
    broken = copy.deepcopy(manifest)
    culprit = INJECTIONS[rule](broken)

    violations = rule(broken)

    assert violations, f"{rule.__name__} found nothing in a manifest broken by {INJECTIONS[rule].__name__}"
    assert all(culprit in violation for violation in violations), violations
