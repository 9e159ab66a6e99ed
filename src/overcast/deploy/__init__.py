"""`overcast deploy`'s client side: a template's local code built and packaged as `sam build` would,
uploaded to the running Overcast, and the stack changed through CloudFormation's API."""
