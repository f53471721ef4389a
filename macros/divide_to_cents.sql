{#-
    amount / count rounded half up to the cent, computed exactly on whole cents.
    Dividing decimals gives a double on DuckDB, where 10.01 / 2 rounds to 5.00
    instead of 5.01; whole-cent integer arithmetic gives the same answer on
    every engine and in the Python reference. NULL when count is zero.
    Assumes a non-negative amount (prices cannot be negative after staging).
-#}
{% macro divide_to_cents(amount, count) -%}
    case
        when {{ count }} > 0 then
            cast(
                cast(
                    {{ integer_divide(
                        'cast(' ~ amount ~ ' * 100 as bigint) * 2 + ' ~ count,
                        '2 * ' ~ count
                    ) }}
                as decimal(38, 0)) * 0.01
            as decimal(18, 2))
    end
{%- endmacro %}
