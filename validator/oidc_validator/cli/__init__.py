"""The command line (``oidc-validator``): argument parsing and the subcommands; the entry point is ``cli.main:main``."""
