{#-
    Monitor: a landed file none of whose dated rows falls in the month of the
    folder it was landed in (year=YYYY/month=MM, `period_column` as YYYYMM):
    a file put in the wrong month, or a feed that sent old data again. One row
    per such file.
-#}
{% test rows_in_folder_month(model, file_column, period_column, date_column) %}

with

dated_rows as (
    select
        {{ file_column }} as file_name,
        {{ period_column }} as folder_period,
        year({{ date_column }}) * 100 + month({{ date_column }}) as row_period
    from {{ model }}
    where {{ date_column }} is not null
)

select
    file_name,
    folder_period,
    count(*) as dated_rows
from dated_rows
group by file_name, folder_period
having sum(case when row_period = folder_period then 1 else 0 end) = 0

{% endtest %}
