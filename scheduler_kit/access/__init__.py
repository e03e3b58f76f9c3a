"""The access matrix as a product: observe every cell of tests/access_matrix.yaml against a database (real
signed tokens through the PostgREST gateway), explain each cell from the catalog, render it, and review a change."""
