"""Onboarding a site: stages derived from the component table, checkpoints in the run history,
resume at the first unfinished stage (docs/onboarding.md)."""
