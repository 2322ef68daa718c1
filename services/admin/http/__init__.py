"""The console's HTTP plumbing: authentication, errors, parameters, OpenAPI."""
