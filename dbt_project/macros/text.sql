{#- Vietnamese text without diacritics (NFC input): "Sở Kế hoạch và Đầu tư" ->
    "So Ke hoach va Dau tu", the form report qualifiers use. translate() is built into
    DuckDB, Postgres and Spark alike, so this needs no dispatch. -#}
{% macro strip_vietnamese_diacritics(text_expr) -%}
    translate(
        {{ text_expr }},
        'ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ',
        'AAAAEEEIIOOOOUUYaaaaeeeiioooouuyAaDdIiUuOoUuAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy'
    )
{%- endmacro %}
