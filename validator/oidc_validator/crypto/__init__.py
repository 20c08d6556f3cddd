"""Pure key and token material: strict JOSE parsing, JWKs, PEM, certificates, key-quality fingerprints."""
