"""Runtimes: the Lambda Runtime API server and the runtime clients (bootstraps) that speak it."""
