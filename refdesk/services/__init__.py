"""Services: one module per job. Each write is one transaction that also writes its audit row."""
