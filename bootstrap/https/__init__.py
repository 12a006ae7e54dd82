"""Git over HTTPS to CodeCommit: the signed password (pure), the git credential helper that
hands it to git, and the global git config section that makes git ask that helper for
CodeCommit hosts only."""
