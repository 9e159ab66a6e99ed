"""Observability: CloudWatch Logs (log groups, streams, events); metrics and traces come later."""
