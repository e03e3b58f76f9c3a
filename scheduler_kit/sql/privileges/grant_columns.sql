GRANT {{privilege}} ({{columns}}) ON TABLE {{object}} TO {{grantee}}
