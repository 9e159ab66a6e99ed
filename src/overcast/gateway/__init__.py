"""API Gateway's data plane (execute-api): it serves the stages the control planes in `apis/` deploy."""
