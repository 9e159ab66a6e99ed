"""Events: queues (SQS), topics (SNS) and mappings (event source mappings: pollers that invoke functions)."""
