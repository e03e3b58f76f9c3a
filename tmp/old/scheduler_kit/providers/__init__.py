"""One module per kind of database object, each a small dynamic-provider trio: inputs, provider, resource."""
