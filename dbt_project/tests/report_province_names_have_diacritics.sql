-- Report figures publish the province's name as the GSO writes it: the sample
-- province's "Khanh Hoa" reads "Khánh Hòa", and a name the seed provinces know never
-- stays in its ASCII form.
select
    figures.figure_id,
    figures.province_name,
    figures.province_name_ascii
from {{ ref('fct_report_figures') }} as figures
inner join {{ ref('int_province_names_resolved') }} as resolved
    on figures.province_name_ascii = resolved.province_name_ascii
where
    figures.province_name <> resolved.province_name
    or (figures.province_name_ascii = 'Khanh Hoa' and figures.province_name <> 'Khánh Hòa')
