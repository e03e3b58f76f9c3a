REVOKE ALL ({{columns}}) ON TABLE {{object}} FROM {{grantee}}
