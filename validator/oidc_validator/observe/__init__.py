"""Collecting what the checks look at: flags and config file, the environment, --cert files, fetched documents."""
