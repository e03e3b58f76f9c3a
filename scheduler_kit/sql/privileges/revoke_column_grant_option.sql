REVOKE GRANT OPTION FOR ALL ({{columns}}) ON TABLE {{object}} FROM {{grantee}}
