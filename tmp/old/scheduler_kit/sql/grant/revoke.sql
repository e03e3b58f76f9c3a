REVOKE ALL ON {{object_type}} {{object}} FROM {{grantee}}
