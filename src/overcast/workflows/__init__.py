"""Step Functions: the Amazon States Language (asl/) and the engine that runs executions (engine/)."""
