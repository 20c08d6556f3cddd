"""The Qualys-side stand-in (``oidc-validator simulate``): verify Bearer JWTs as Qualys would, map them to users."""
