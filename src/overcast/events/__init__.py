"""Event services: queues (SQS), topics (SNS) and event source mappings."""
