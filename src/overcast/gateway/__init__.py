"""API Gateway: the REST (v1) and HTTP (v2) control planes and the data plane that serves them."""
