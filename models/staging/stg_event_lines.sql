{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        partitioned_by=['source_period'],
        on_schema_change='fail'
    )
}}

-- Every raw line of each landed file, split into the nine Kaggle fields, typed
-- where it can be, with the first reason (in a fixed order) it cannot be
-- accepted. The one model that reads the raw files, once: an incremental run
-- reads only the files it has not read before (a landed file never changes),
-- and appends their lines. Lines are not grouped here: duplicates are rare and
-- are removed in stg_events by a compact key, where grouping 110 M lines by
-- their text would spill the whole text to disk. The raw text is kept only for
-- rejected lines, which the quarantine shows.

{%- set unread_files = unread_raw_files_predicate() %}

with

source as (

    select * from {{ source('ecommerce_raw', 'events') }}
    {% if unread_files is not none -%}
        where {{ unread_files }}
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

split as (

    select

        source_file,
        source_period,
        raw_line,

        ---------- counted on the whole line: a split would hide extra fields
        length(raw_line) - length(replace(raw_line, ',', '')) + 1 as field_count,

        ---------- the nine fields as text
        split_part(raw_line, ',', 1) as event_time_text,
        split_part(raw_line, ',', 2) as event_type,
        split_part(raw_line, ',', 3) as product_id_text,
        split_part(raw_line, ',', 4) as category_id_text,
        split_part(raw_line, ',', 5) as category_code_text,
        split_part(raw_line, ',', 6) as brand_text,
        split_part(raw_line, ',', 7) as price_text,
        split_part(raw_line, ',', 8) as user_id_text,
        split_part(raw_line, ',', 9) as user_session_text

    from renamed

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

    from split

),

validated as (

    select

        *,

        case
            when raw_line = '' then 'empty_line'
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
