DROP TABLE IF EXISTS {{reference}}
