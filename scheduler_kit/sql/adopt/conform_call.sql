SELECT pg_temp.schedkit_conform_table({{table}}, {{definition}}, {{reference}}::regclass, {{label}}, {{not_valid}},
                                      {{recounted}}, {{kit_triggers}}, {{kit_policies}}, {{apply}})
