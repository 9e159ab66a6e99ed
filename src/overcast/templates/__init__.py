"""SAM and CloudFormation templates: parse, evaluate, plan and deploy them through resource providers."""
