{#-
    The comment dbt puts on every statement it sends (dbt_project.yml `query-comment:`):
    dbt's usual fields (app, dbt_version, profile_name, target_name, and node_id, or
    connection_name outside any node: the on-run-start/on-run-end hooks run on the
    "master" connection with no node) plus the run's invocation_id, so
    `python -m athena_ledger` finds every statement of one run in the workgroup's query
    history. dbt-athena writes it as `-- /* {...} */` on a line of its own, and leaves it
    off ALTER, DROP, OPTIMIZE, VACUUM and MSCK statements.
-#}
{% macro invocation_query_comment(node, connection_name) -%}
    {%- set comment = {
        'app': 'dbt',
        'dbt_version': dbt_version,
        'profile_name': target.get('profile_name'),
        'target_name': target.get('target_name'),
        'invocation_id': invocation_id,
    } -%}
    {%- if node is not none -%}
        {%- do comment.update(node_id=node.unique_id) -%}
    {%- else -%}
        {%- do comment.update(connection_name=connection_name) -%}
    {%- endif -%}
    {{- return(tojson(comment)) -}}
{%- endmacro %}
