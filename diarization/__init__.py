"""Who spoke when: two-track attribution, online clustering of mixed audio, roles, analytics."""
