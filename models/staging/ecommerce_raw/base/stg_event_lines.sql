{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        partitioned_by=['source_period'],
        pre_hook=["{{ remember_batch_periods() }}", "{{ delete_lines_of_replaced_files() }}"],
        on_schema_change='fail'
    )
}}

-- Every raw line of each landed file, split into the nine Kaggle fields, typed
-- where it can be, with the first reason (in a fixed order) it cannot be
-- accepted. The one model that reads the raw files for their content: an
-- incremental run reads only the files whose current version (landing
-- manifest) it has not read, whichever month they belong to, and appends their
-- lines; a replaced file's earlier lines are deleted first (pre-hook). Lines
-- are not grouped here: duplicates are rare and
-- are removed in stg_events by a compact key, where grouping 110 M lines by
-- their text would spill the whole text to disk. The raw text is kept only for
-- rejected lines, which the quarantine shows.
--
-- Fields are read as a CSV reader reads them (RFC 4180): a field in double
-- quotes is one field whatever commas it holds, and is shown without its quotes
-- (a quote inside written twice, ""). The real files have no quote at all, so a
-- line without one is split on every comma, with no regular expression; only
-- lines with a quote go through the patterns below.

{%- set files_to_read = raw_files_to_read() %}

{#-
    A CSV field: quoted ("...", a quote inside written "") or free of quotes and
    commas. The patterns use only what RE2 (DuckDB) and joni (Trino) read alike:
    classes, alternation, non-capturing groups, ^ and $ (the reader splits lines
    on line feeds, so joni's $, which also matches before a final line feed, is
    RE2's end of text).
    They cannot backtrack badly on joni: a field starts with a quote or it does
    not, inside quotes a character is a quote or not, and a quote is doubled or
    closes the field (then a comma or the end must follow), so every way but one
    fails at the next character and a failing match costs time linear in the line.
-#}
{%- set quoted_field = '"(?:[^"]|"")*"' %}
{%- set csv_field = quoted_field ~ '|[^,"]*' %}
{%- set well_quoted_line = '^(?:' ~ csv_field ~ ')(?:,(?:' ~ csv_field ~ '))*$' %}
{%- set nine_fields = '^(' ~ ([csv_field] * 9) | join('),(') ~ ')$' %}
{%- set kaggle_header = 'event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session' %}
{%- set fields = [
    'event_time_text', 'event_type', 'product_id_text', 'category_id_text', 'category_code_text',
    'brand_text', 'price_text', 'user_id_text', 'user_session_text'
] %}

with

source as (

    select * from {{ source('ecommerce_raw', 'events') }}
    {% if files_to_read is not none -%}
        where {{ raw_files_predicate(files_to_read) }}
    {%- endif %}

),

renamed as (

    select

        ---------- lineage
        {{ raw_file_path() }} as source_file,
        cast(year * 100 + month as integer) as source_period,

        ---------- the line itself; a CRLF file leaves a carriage return behind
        coalesce(replace(line, chr(13), ''), '') as raw_line

    from source

),

current_versions as (

    {{ current_file_versions() }}

),

versioned as (

    select

        renamed.*,

        ---------- the manifest's version of the file (NULL if the manifest does not name it)
        current_versions.file_sha256 as source_file_sha256

    from renamed
    left join current_versions
        on renamed.source_file = current_versions.source_file

),

quote_flagged as (

    select

        *,

        ---------- which path splits the line: split_part, or the quote-aware patterns
        strpos(raw_line, '"') > 0 as has_quotes

    from versioned

),

quotes_checked as (

    select

        *,

        ---------- every field quoted ("..." with inner quotes doubled) or free of quotes
        case
            when has_quotes then {{ matches_pattern('raw_line', well_quoted_line) }}
            else true
        end as is_well_quoted,

        ---------- a comma inside quotes separates nothing: the line without its quoted sections
        case
            when has_quotes then {{ regexp_replace_all('raw_line', quoted_field, '') }}
            else raw_line
        end as line_outside_quotes

    from quote_flagged

),

counted as (

    select

        *,

        ---------- counted on the whole line: a split would hide extra fields
        length(line_outside_quotes) - length(replace(line_outside_quotes, ',', '')) + 1 as field_count

    from quotes_checked

),

split as (

    select

        source_file,
        source_period,
        source_file_sha256,
        raw_line,
        has_quotes,
        is_well_quoted,
        field_count,

        ---------- the nine fields as written (quotes included). A line with quotes is
        -- split by the pattern only when it is nine well quoted fields: any other is
        -- rejected before its fields are read, and regexp_extract would give '' on
        -- DuckDB but NULL on Trino where the pattern does not match.
    {% for field in fields %}
        case
            when not has_quotes then split_part(raw_line, ',', {{ loop.index }})
            when is_well_quoted and field_count = 9
                then regexp_extract(raw_line, '{{ nine_fields }}', {{ loop.index }})
        end as {{ field }}_as_written{{ ',' if not loop.last }}
    {% endfor %}

    from counted

),

unquoted as (

    select

        source_file,
        source_period,
        source_file_sha256,
        raw_line,
        is_well_quoted,
        field_count,

        ---------- the nine fields as a CSV reader gives them: quotes taken off, "" read as "
    {% for field in fields %}
        case
            when has_quotes and substr({{ field }}_as_written, 1, 1) = '"'
                then replace(substr({{ field }}_as_written, 2, length({{ field }}_as_written) - 2), '""', '"')
            else {{ field }}_as_written
        end as {{ field }}{{ ',' if not loop.last }}
    {% endfor %}

    from split

),

typed as (

    select

        *,

        ---------- ids and dates
        {{ dbt.hash('raw_line') }} as event_id,
        {{ parse_event_time('event_time_text') }} as event_time,
        try_cast(product_id_text as bigint) as product_id,
        try_cast(category_id_text as bigint) as category_id,
        try_cast(user_id_text as bigint) as user_id,

        ---------- money: exact decimals so revenue adds up to the cent
        try_cast(price_text as decimal(12, 2)) as price,

        ---------- the shape checks that a cast alone would let through
        {{ matches_pattern(
            'event_time_text', '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$'
        ) }} as is_event_time_well_formed,
        {{ matches_pattern('product_id_text', '^[0-9]+$') }} as is_product_id_digits,
        {{ matches_pattern('category_id_text', '^[0-9]+$') }} as is_category_id_digits,
        {{ matches_pattern('user_id_text', '^[0-9]+$') }} as is_user_id_digits,
        {{ matches_pattern('price_text', '^-?[0-9]+([.][0-9]{1,2})?$') }} as is_price_a_number

    from unquoted

),

validated as (

    select

        *,

        case
            when raw_line = '' then 'empty_line'
            -- a second file's header, when files were concatenated
            when raw_line = '{{ kaggle_header }}' then 'repeated_header'
            when not is_well_quoted then 'unbalanced_quote'
            when field_count <> 9 then 'wrong_field_count'
            when not is_event_time_well_formed or event_time is null then 'unparseable_event_time'
            when event_type not in ('view', 'cart', 'purchase', 'remove_from_cart') then 'unknown_event_type'
            when product_id_text = '' then 'missing_product_id'
            when not is_product_id_digits or product_id is null then 'non_numeric_product_id'
            when category_id_text = '' then 'missing_category_id'
            when not is_category_id_digits or category_id is null then 'non_numeric_category_id'
            when user_id_text = '' then 'missing_user_id'
            when not is_user_id_digits or user_id is null then 'non_numeric_user_id'
            when price_text = '' then 'missing_price'
            when not is_price_a_number or price is null then 'non_numeric_price'
            when price < 0 then 'negative_price'
        end as rejection_reason

    from typed

)

select

    ---------- lineage
    source_period,
    source_file,
    source_file_sha256,
    {{ run_loaded_marker() }} as loaded_in_run,

    ---------- outcome
    rejection_reason,
    rejection_reason is null as is_accepted,
    -- the evidence, for rejected lines only: accepted lines are fully typed
    case when rejection_reason is not null then raw_line end as raw_line,
    field_count,

    ---------- typed fields (NULL where a field could not be typed)
    event_id,
    event_time,
    cast(event_time as date) as event_date,
    event_type,
    product_id,
    category_id,
    nullif(category_code_text, '') as category_code,
    nullif(brand_text, '') as brand,
    price,
    user_id,
    nullif(user_session_text, '') as user_session

from validated
