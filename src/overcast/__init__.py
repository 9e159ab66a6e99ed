"""Overcast: the AWS serverless application model on your own machines."""

__version__ = "0.1.0"
