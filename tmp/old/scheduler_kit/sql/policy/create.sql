CREATE POLICY {{name}} ON {{table}} AS {{permissive}} FOR {{command}} TO {{roles}}{{using}}{{with_check}}
