"""Every AWS call (IAM, STS, CodeCommit), the key registration, endpoints and profiles."""
