GRANT {{privileges}} ON {{object_type}} {{object}} TO {{grantee}}
