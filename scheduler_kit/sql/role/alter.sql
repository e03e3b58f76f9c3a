ALTER ROLE {{name}} {{attributes}}
