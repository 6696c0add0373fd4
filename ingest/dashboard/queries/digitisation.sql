-- Catalog procedures and their dossiers per online service level, in reporting year $year.
select
    service_level,
    count(*) as procedures,
    count(*) filter (where is_online_payment_enabled) as procedures_online_payment,
    count(*) filter (where is_postal_enabled) as procedures_postal,
    sum(dossiers_received) as dossiers_received,
    {rate:dossiers_online_pct} as online_rate,
    {rate:dossiers_paid_online_pct} as paid_online_rate,
    {rate:dossiers_postal_pct} as postal_rate,
    sum(dossiers_online) as dossiers_online,
    sum(dossiers_with_fee) as dossiers_with_fee,
    sum(dossiers_paid_online) as dossiers_paid_online,
    sum(dossiers_postal) as dossiers_postal
from marts.rpt_procedure_digitisation
where reporting_year = $year and service_level is not null
group by service_level
order by service_level
