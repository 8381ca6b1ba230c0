"""Services: what wagate does, independent of HTTP. Routes and the CLI call these."""
