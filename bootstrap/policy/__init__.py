"""IAM policy documents: read, evaluate offline (pure), and patch the MFA deny narrowly."""
