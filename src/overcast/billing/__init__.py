"""Billing: invocation metering and Lambda's pricing (power tuning comes later)."""
