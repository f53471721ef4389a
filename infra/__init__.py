"""Infrastructure as code: the CloudFormation template (ecommerce-analytics.yaml) and `python -m infra`."""
