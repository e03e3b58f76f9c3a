GRANT {{role}} TO {{member}}
