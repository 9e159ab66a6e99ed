"""Resource providers: one module per service, each making, changing and removing its CloudFormation types."""
