"""The chain every integration runs: integrations, extract -> map -> load steps, their actors, the broker."""
