"""Everything that goes over the network: fetching JSON documents, token grants, URL and TLS options."""
