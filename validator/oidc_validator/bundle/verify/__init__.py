"""verify-bundle: checksums, schema, the texts against the data, the key checks re-run, the no-secrets rule."""
