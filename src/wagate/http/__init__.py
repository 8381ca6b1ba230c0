"""The HTTP layer: request parameters, OpenAPI helpers and routes."""
