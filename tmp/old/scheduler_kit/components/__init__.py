"""ComponentResources that group the database objects; every child is created with parent=self."""
